using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace SandboxOperator.Cli;

/// <summary>Writes a JSON tree as YAML, quoting strings (values and keys) that kubectl would otherwise read as another type.</summary>
internal static class YamlWriter
{
    public static string Write(JsonNode? node)
    {
        var sw = new StringWriter();
        var emitter = new Emitter(sw);
        emitter.Emit(new StreamStart());
        emitter.Emit(new DocumentStart());
        Emit(emitter, node);
        emitter.Emit(new DocumentEnd(true));
        emitter.Emit(new StreamEnd());
        return sw.ToString();
    }

    /// <summary>A string, quoted when kubectl would read it unquoted as something else (<c>"yes"</c>, <c>"0755"</c>, <c>"~"</c>).</summary>
    private static void EmitString(IEmitter emitter, string s) =>
        emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, s, Policy.Manifests.YamlScalar.ReadsAsString(s) ? ScalarStyle.Any : ScalarStyle.DoubleQuoted, true, true));

    private static void Emit(IEmitter emitter, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                emitter.Emit(new MappingStart());
                foreach (var (k, v) in obj)
                {
                    EmitString(emitter, k);
                    Emit(emitter, v);
                }

                emitter.Emit(new MappingEnd());
                break;
            case JsonArray arr:
                emitter.Emit(new SequenceStart(AnchorName.Empty, TagName.Empty, false, SequenceStyle.Block));
                foreach (var item in arr)
                {
                    Emit(emitter, item);
                }

                emitter.Emit(new SequenceEnd());
                break;
            case JsonValue value when value.GetValueKind() == JsonValueKind.String:
                EmitString(emitter, value.GetValue<string>());
                break;
            case JsonValue value:
                emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, value.ToJsonString(), ScalarStyle.Plain, true, false));
                break;
            default:
                emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, "null", ScalarStyle.Plain, true, false));
                break;
        }
    }
}
