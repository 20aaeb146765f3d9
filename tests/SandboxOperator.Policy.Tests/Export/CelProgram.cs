using System.Text.Json;
using System.Text.Json.Nodes;
using Cel;

namespace SandboxOperator.Policy.Tests.Export;

/// <summary>
/// Compiles and runs a ValidatingAdmissionPolicy's CEL as the API server does for one object: variables in order
/// (each sees the ones before it as <c>variables.NAME</c>), then every validation with <c>object</c> and <c>variables</c>.
/// </summary>
/// <remarks>
/// Uses the Cel package (a C# implementation of the CEL specification with its standard macros: has, all, exists,
/// in, size). It has none of Kubernetes' CEL extension libraries, which the exported expressions do not use.
/// </remarks>
internal static class CelProgram
{
    private static readonly CelEnvironment Environment = new(null, null);

    /// <summary>Compiles <paramref name="expression"/>; throws with the parser's message when it is not CEL.</summary>
    public static Func<Dictionary<string, object?>, object?> Compile(string expression)
    {
        var compiled = Environment.Compile(expression);
        return variables => compiled(variables);
    }

    /// <summary>The result of each validation of <paramref name="policy"/> for <paramref name="obj"/>, in order.</summary>
    public static IReadOnlyList<bool> Validate(JsonObject policy, JsonObject obj)
    {
        var variables = new Dictionary<string, object?>();
        var input = new Dictionary<string, object?> { ["object"] = ToCel(obj), ["variables"] = variables };
        foreach (var v in (JsonArray)policy["spec"]!["variables"]!)
        {
            variables[(string)v!["name"]!] = Compile((string)v["expression"]!)(input);
        }

        return [.. ((JsonArray)policy["spec"]!["validations"]!).Select(v => (bool)Compile((string)v!["expression"]!)(input)!)];
    }

    private static object? ToCel(JsonNode? node) => node switch
    {
        JsonObject o => o.ToDictionary(p => p.Key, p => ToCel(p.Value)),
        JsonArray a => a.Select(ToCel).ToList(),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
        JsonValue v when v.GetValue<JsonElement>().TryGetInt64(out var l) => l,
        JsonValue v => v.GetValue<JsonElement>().GetDouble(),
        _ => null,
    };
}
