using System.Text.Json.Nodes;

namespace SandboxOperator.Cli.Tests;

/// <summary>A folder as teams keep it: a Helm chart, a kustomization with patches, test assertions, and plain manifests.</summary>
public class DirectoryTests
{
    [Fact]
    public void Charts_kustomizations_and_partial_objects_get_notes_templates_an_error_and_everything_else_is_evaluated()
    {
        using var files = new TempFiles();
        files.Write("chart/Chart.yaml", "apiVersion: v2\nname: web\nversion: 0.1.0\n");
        files.Write("chart/values.yaml", "replicaCount: 2\nimage: {repository: nginx}\n");
        files.Write("chart/templates/deployment.yaml", "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }}\nspec:\n  template:\n    spec:\n      containers: [{name: c, image: \"{{ .Values.image.repository }}\"}]\n");
        files.Write("chart/templates/quoted.yaml", "apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"{{ .Release.Name }}-pod\"\nspec:\n  containers: [{name: c, image: x}]\n");
        files.Write("overlay/kustomization.yaml", "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: [pod.yaml]\npatches: [{path: patch.yaml}]\n");
        files.Write("overlay/patch.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  runtimeClassName: runc\n");
        files.Write("overlay/pod.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nspec:\n  containers: [{name: c, image: x}]\n");
        files.Write("tests/assert.yaml", "apiVersion: v1\nkind: Pod\nmetadata: {name: web}\nstatus: {phase: Running}\n");

        var r = Sandboxctl.Run(null, "evaluate", "-f", files.Root, "-o", "json");

        Assert.Equal(2, r.ExitCode);
        Assert.Equal(["web"], JsonNode.Parse(r.Stdout)!["results"]!.AsArray().Select(x => (string?)x!["name"]));
        var stderr = r.Stderr.Replace(files.Root + Path.DirectorySeparatorChar, "", StringComparison.Ordinal);
        Assert.Contains("note: chart/Chart.yaml: skipped: a Helm chart's Chart.yaml. The chart's templates are evaluated only once rendered: helm template … | sandboxctl evaluate -f -", stderr, StringComparison.Ordinal);
        Assert.Contains("note: chart/values.yaml:1: skipped: not a Kubernetes object (it has no apiVersion and no kind)", stderr, StringComparison.Ordinal);
        Assert.Contains("error: chart/templates/deployment.yaml: a Helm template: render it first (helm template … | sandboxctl evaluate -f -)", stderr, StringComparison.Ordinal);
        Assert.Contains("error: chart/templates/quoted.yaml: a Helm template: render it first", stderr, StringComparison.Ordinal);
        Assert.Contains("note: overlay/kustomization.yaml: skipped: a kustomization.", stderr, StringComparison.Ordinal);
        Assert.Contains("note: overlay/patch.yaml:1: skipped Pod web: a partial object (spec.containers is missing), such as a kustomize patch or a test assertion", stderr, StringComparison.Ordinal);
        Assert.Contains("note: tests/assert.yaml:1: skipped Pod web: a partial object (spec is missing)", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rendered_chart_on_standard_input_is_evaluated()
    {
        var r = Sandboxctl.Run("---\n# Source: web/templates/pod.yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: release-web\nspec:\n  containers: [{name: c, image: x}]\n", "evaluate", "-f", "-");
        Assert.Equal(0, r.ExitCode);
        Assert.Contains("1 evaluated, 1 allowed, 0 denied", r.Stdout, StringComparison.Ordinal);
    }
}
