using System.Text.Json.Nodes;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.Manifests;

namespace SandboxOperator.Cli;

/// <summary>The decision for one manifest object, plus the object after mutation.</summary>
internal sealed record EvaluationResult(ManifestDocument Document, string Namespace, AdmissionDecision Decision, JsonNode? MutatedObject)
{
    public IEnumerable<string> AllWarnings => Decision.MutationWarnings.Concat(Decision.Warnings);
}
