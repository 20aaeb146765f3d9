using k8s;
using k8s.Models;
using YamlDotNet.Serialization;

namespace SandboxOperator.Chart.Tests;

/// <summary>
/// The documents of one render. Built-in kinds are parsed strictly into the
/// KubernetesClient models (an unknown or misspelt field fails the parse);
/// cert-manager and Prometheus Operator kinds, which have no model, loosely.
/// </summary>
public sealed class Manifests
{
    private static readonly HashSet<string> LooseKinds = ["ServiceMonitor", "PrometheusRule", "Issuer", "Certificate"];

    private Manifests(IReadOnlyList<object> typed, IReadOnlyList<LooseObject> loose)
    {
        Typed = typed;
        Loose = loose;
    }

    public IReadOnlyList<object> Typed { get; }

    public IReadOnlyList<LooseObject> Loose { get; }

    public static Manifests Parse(string stream)
    {
        var typed = new List<object>();
        var loose = new List<LooseObject>();
        var deserializer = new DeserializerBuilder().Build();
        foreach (var doc in stream.Split("\n---\n").Select(d => d.TrimStart('-', '\n')))
        {
            if (string.IsNullOrWhiteSpace(doc))
            {
                continue;
            }

            var map = deserializer.Deserialize<Dictionary<object, object>>(doc)
                ?? throw new InvalidOperationException("empty document rendered:\n" + doc);
            var kind = map.TryGetValue("kind", out var k) ? k as string : null;
            Assert.False(string.IsNullOrEmpty(kind), "document without kind:\n" + doc);
            if (LooseKinds.Contains(kind!))
            {
                loose.Add(new LooseObject(map));
                continue;
            }

            try
            {
                typed.AddRange(KubernetesYaml.LoadAllFromString(doc, typeMap: null, strict: true));
            }
            catch (Exception e) when (e is YamlDotNet.Core.YamlException or InvalidOperationException or ArgumentException)
            {
                throw new InvalidOperationException($"strict parse of a {kind} failed: {e.Message}\n{doc}", e);
            }
        }

        return new Manifests(typed, loose);
    }

    public IEnumerable<T> All<T>() => Typed.OfType<T>();

    /// <summary>The single object of type T; fails when there is none or more than one.</summary>
    public T One<T>() => Assert.Single(All<T>());

    public T Named<T>(string name)
        where T : IKubernetesObject<V1ObjectMeta> => Assert.Single(All<T>(), o => o.Metadata.Name == name);

    public IEnumerable<LooseObject> LooseOfKind(string kind) => Loose.Where(o => o.Kind == kind);

    public V1Deployment Operator => Named<V1Deployment>(ChartRenderer.Fullname);

    public V1Container OperatorContainer => Assert.Single(Operator.Spec.Template.Spec.Containers);

    public IList<string> OperatorArgs => OperatorContainer.Args;

    public string? Arg(string flag)
    {
        var prefix = flag + "=";
        var match = OperatorArgs.Where(a => a.StartsWith(prefix, StringComparison.Ordinal)).ToList();
        Assert.True(match.Count <= 1, $"{flag} given {match.Count} times");
        return match.Count == 0 ? null : match[0][prefix.Length..];
    }

    public IEnumerable<string> Kinds => Typed.Select(o => ((IKubernetesObject)o).Kind).Concat(Loose.Select(l => l.Kind));
}

/// <summary>A document without a typed model, navigated by dotted paths.</summary>
public sealed class LooseObject(Dictionary<object, object> map)
{
    public string Kind => (string)map["kind"];

    public string Name => Get<string>("metadata.name");

    public T Get<T>(string path) => (T)(Find(path) ?? throw new KeyNotFoundException($"{Kind}: {path} not set"));

    public object? Find(string path)
    {
        object? cur = map;
        foreach (var part in path.Split('.'))
        {
            cur = cur switch
            {
                Dictionary<object, object> d => d.TryGetValue(part, out var v) ? v : null,
                List<object> l when int.TryParse(part, out var i) => i < l.Count ? l[i] : null,
                _ => null,
            };
        }

        return cur;
    }

    public IReadOnlyList<string> Strings(string path) => ((List<object>)Get<object>(path)).Select(o => (string)o).ToList();
}
