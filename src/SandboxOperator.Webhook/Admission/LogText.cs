namespace SandboxOperator.Webhook.Admission;

/// <summary>
/// Caps on text that reaches a log line from a review. A caller that reaches the webhook directly controls names,
/// the user, the uid and, through the object, every policy message (a 1 MiB <c>runtimeClassName</c> is quoted in
/// its denial); capped, one review can never write more than a few KiB to a log line.
/// </summary>
public static class LogText
{
    /// <summary>Longest name, namespace, kind, user or uid written (Kubernetes names are at most 253).</summary>
    public const int MaxFieldLength = 256;

    /// <summary>Longest message (a denial, a violation, a reason) written; a real denial is a few hundred characters.</summary>
    public const int MaxMessageLength = 2048;

    /// <summary>
    /// The bound on one admission log line, properties, template and timestamp included: what the tests hold every
    /// line to. Five fields and two messages at their caps, with JSON escaping of every character, stay below it.
    /// </summary>
    public const int MaxLineLength = 16 * 1024;

    /// <summary><paramref name="value"/> cut to <paramref name="max"/> characters, with a marker saying how much was cut.</summary>
    public static string Cap(string? value, int max = MaxFieldLength)
    {
        if (value is null || value.Length <= max)
        {
            return value ?? "";
        }

        // Never split a surrogate pair: half of one is not valid UTF-16 and the JSON writer would escape it oddly.
        var keep = char.IsHighSurrogate(value[max - 1]) ? max - 1 : max;
        return string.Concat(value.AsSpan(0, keep), $"… ({value.Length - keep} more characters)");
    }
}
