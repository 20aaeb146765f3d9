using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace SandboxOperator.Cli;

/// <summary>Writes a JSON tree as YAML, quoting strings that YAML would otherwise read as another type.</summary>
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

    private static void Emit(IEmitter emitter, JsonNode? node)
    {
        switch (node)
        {
            case JsonObject obj:
                emitter.Emit(new MappingStart());
                foreach (var (k, v) in obj)
                {
                    emitter.Emit(new Scalar(k));
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
                var s = value.GetValue<string>();
                var needsQuotes = Policy.Manifests.ManifestParser.Scalar(new YamlDotNet.RepresentationModel.YamlScalarNode(s)) is not JsonValue resolved || resolved.GetValueKind() != JsonValueKind.String;
                emitter.Emit(new Scalar(AnchorName.Empty, TagName.Empty, s, needsQuotes ? ScalarStyle.DoubleQuoted : ScalarStyle.Any, true, true));
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
