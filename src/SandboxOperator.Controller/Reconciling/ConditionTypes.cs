namespace SandboxOperator.Controller.Reconciling;

/// <summary>The condition types of an AgentWorkload's status.</summary>
public static class ConditionTypes
{
    public const string Ready = "Ready";
    public const string RuntimeClassAvailable = "RuntimeClassAvailable";
    public const string NodePoolAvailable = "NodePoolAvailable";
    public const string PodsCompliant = "PodsCompliant";
}
