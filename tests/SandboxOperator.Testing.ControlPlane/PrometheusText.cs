using System.Globalization;
using System.Text.RegularExpressions;

namespace SandboxOperator.Testing.ControlPlane;

/// <summary>Sums samples of the Prometheus text format by metric name and a subset of labels.</summary>
public static partial class PrometheusText
{
    /// <summary>The sum of every sample of <paramref name="metric"/> that carries all of <paramref name="labels"/> (name="value").</summary>
    public static double Sum(string text, string metric, params string[] labels) =>
        Sample().Matches(text)
            .Where(m => m.Groups["name"].Value == metric && labels.All(l => m.Groups["labels"].Value.Contains(l, StringComparison.Ordinal)))
            .Sum(m => double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture));

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>[^}]*)\})? (?<value>[0-9.eE+-]+|NaN)( \d+)?$", RegexOptions.Multiline)]
    private static partial Regex Sample();
}
