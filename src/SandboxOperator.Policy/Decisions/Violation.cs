namespace SandboxOperator.Policy.Decisions;

/// <summary>
/// One rule a pod breaks. <see cref="Key"/> identifies the rule and its subject (e.g. a container name)
/// so that an UPDATE can tell violations it introduces from ones the object already had.
/// </summary>
public sealed record Violation(string Rule, string Subject, string Message)
{
    public string Key => Rule + "/" + Subject;
}
