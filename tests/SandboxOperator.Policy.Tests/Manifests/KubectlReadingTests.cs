using SandboxOperator.Policy.Manifests;

namespace SandboxOperator.Policy.Tests.Manifests;

/// <summary>
/// The manifest reader against kubectl itself: every object of the corpus (YAML 1.1 scalars, keys, anchors, merge
/// keys, multi-document files, CRLF, JSON streams, typed lists) and of the real-world regression set must read the
/// same, and what kubectl refuses must be refused, with the line. Skipped when kubectl is not installed.
/// </summary>
public class KubectlReadingTests
{
    private static readonly string CorpusDir = Path.Combine(TestData.RepoRoot(), "tests", "SandboxOperator.Policy.Tests", "Manifests", "KubectlCorpus");
    private static readonly string RealWorldDir = Path.Combine(TestData.RepoRoot(), "tests", "SandboxOperator.Cli.Tests", "RealWorld");

    public static TheoryData<string> Files()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(CorpusDir).Concat(Directory.GetFiles(RealWorldDir, "*.yaml")).Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetRelativePath(TestData.RepoRoot(), file));
        }

        return data;
    }

    [SkippableTheory]
    [MemberData(nameof(Files))]
    public void Reads_every_object_as_kubectl_does(string file)
    {
        Skip.If(Kubectl.Path is null, Kubectl.Missing);
        var path = Path.Combine(TestData.RepoRoot(), file);
        var expected = Kubectl.Read(path);
        Assert.True(expected.ExitCode == 0, $"kubectl refused {file}: {expected.Stderr}");

        var (docs, errors) = ManifestParser.Parse(File.ReadAllText(path), file);
        Assert.Empty(errors);
        Assert.Equal(expected.Objects.Count, docs.Count);
        for (var i = 0; i < docs.Count; i++)
        {
            var difference = Kubectl.Difference(expected.Objects[i], Kubectl.WithProbe(docs[i].Object));
            Assert.True(difference is null, $"{file}, object {i} ({docs[i].Display}): {difference}");
        }
    }

    public static TheoryData<string, string, int> Refused() => new()
    {
        { "infinity", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  x: .inf\n", 5 },
        { "not a number", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nspec: {x: [1, .NaN]}\n", 4 },
        { "null key", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nspec:\n  ~: 1\n", 5 },
        { "key beyond int64", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nspec:\n  18446744073709551615: 1\n", 5 },
        { "merge of a scalar", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nspec:\n  <<: 5\n", 5 },
        { "merge of an alias to a list", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nl: &l [{a: 1}]\nspec:\n  <<: *l\n", 6 },
        { "list as key", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nspec:\n  ? [a]\n  : 5\n", 5 },
        { "unknown anchor", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nspec:\n  a: *common\n", 5 },
        { "tab as indentation", "apiVersion: v1\nkind: Pod\nmetadata:\n\tname: a\n", 4 },
        { "content after a separator", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n--- {apiVersion: v1, kind: ConfigMap}\n", 4 },
        { "a list as the document", "- apiVersion: v1\n  kind: ConfigMap\n", 1 },
        { "a single value as the document", "# comment\nhello\n", 2 },
        { "a JSON array", "[{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"a\"}}]", 1 },
        { "a JSON comment", "{\"apiVersion\": \"v1\",\n// no comments in JSON\n\"kind\": \"ConfigMap\"}", 2 },
        { "no kind", "apiVersion: v1\nmetadata: {name: a}\n", 1 },
        { "wrong tag", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  x: !!int abc\n", 5 },
        { "a list entry as a mapping value", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nx: - a\n", 4 },
        { "an unclosed flow list", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nx: [a, b\n", 4 },
        { "a slash escape", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata:\n  url: \"http:\\/\\/example.com\"\n", 5 },
        { "second document broken", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b: c\n", 8 },
    };

    [SkippableTheory]
    [MemberData(nameof(Refused))]
    public void Refuses_what_kubectl_refuses_and_names_the_line(string name, string text, int line)
    {
        Skip.If(Kubectl.Path is null, Kubectl.Missing);
        var dir = Directory.CreateTempSubdirectory("kubectl-refused-");
        try
        {
            var file = Path.Combine(dir.FullName, text.StartsWith('[') || text.StartsWith('{') ? "input.json" : "input.yaml");
            File.WriteAllText(file, text);
            var expected = Kubectl.Read(file);
            Assert.True(expected.ExitCode != 0, $"{name}: kubectl accepted it");

            var (_, errors) = ManifestParser.Parse(text, "input");
            var error = Assert.Single(errors);
            Assert.Equal(line, error.Line);
            Assert.DoesNotContain("Exception", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [SkippableFact]
    public void A_list_inside_a_list_is_read_item_by_item_with_a_note_although_kubectl_refuses_it()
    {
        Skip.If(Kubectl.Path is null, Kubectl.Missing);
        const string text = """
            apiVersion: v1
            kind: List
            items:
              - {apiVersion: v1, kind: Pod, metadata: {name: a}}
              - apiVersion: v1
                kind: List
                items:
                  - {apiVersion: v1, kind: Pod, metadata: {name: nested}}
              - {apiVersion: v1, kind: Pod, metadata: {name: c}}
            """;
        var dir = Directory.CreateTempSubdirectory("kubectl-nested-");
        try
        {
            var file = Path.Combine(dir.FullName, "nested.yaml");
            File.WriteAllText(file, text);
            var expected = Kubectl.Read(file);
            Assert.NotEqual(0, expected.ExitCode);
            Assert.Contains("is not a list", expected.Stderr, StringComparison.Ordinal);

            var reading = ManifestParser.Parse(text, "nested.yaml");
            Assert.Empty(reading.Errors);
            Assert.Equal(["a", "c", "nested"], reading.Documents.Select(d => d.Name));
            var note = Assert.Single(reading.Notes);
            Assert.Equal(5, note.Line);
            Assert.Contains("kubectl refuses such a file", note.Message, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(true);
        }
    }
}
