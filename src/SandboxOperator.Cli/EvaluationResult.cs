using System.Text.Json.Nodes;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.Edge;
using SandboxOperator.Policy.Manifests;

namespace SandboxOperator.Cli;

/// <summary>The decision for one manifest object, plus the object after mutation.</summary>
/// <param name="Edge">For an AgentWorkload, whether it could run as an edge isolate (advice); null for other kinds.</param>
internal sealed record EvaluationResult(ManifestDocument Document, string Namespace, AdmissionDecision Decision, JsonNode? MutatedObject, EdgeAdvice? Edge = null)
{
    public IEnumerable<string> AllWarnings => Decision.MutationWarnings.Concat(Decision.Warnings);
}
