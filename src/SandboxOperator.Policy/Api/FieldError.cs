namespace SandboxOperator.Policy.Api;

/// <summary>One thing wrong with user input, located by a field path such as <c>spec.traits.executesUntrustedCode</c>.</summary>
public sealed record FieldError(string Field, string Message)
{
    public override string ToString() => Field.Length == 0 ? Message : $"{Field}: {Message}";
}
