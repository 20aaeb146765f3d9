namespace SandboxOperator.Policy.Api;

/// <summary>An AgentWorkload as the policy core sees it: where it lives and its spec.</summary>
/// <param name="Generation">metadata.generation; 0 when unknown (e.g. a manifest never stored).</param>
public sealed record AgentWorkload(string Namespace, string Name, AgentWorkloadSpec Spec, long Generation = 0);
