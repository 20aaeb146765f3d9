using System.Text.Json;
using System.Text.Json.Nodes;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Pods;
using SandboxOperator.Policy.State;
using SandboxOperator.Webhook.StateSources;

namespace SandboxOperator.Webhook.Tests.Security;

/// <summary>The sample cluster state plus pods the webhook knows, as its pod cache would hold them.</summary>
internal sealed class KnownPodsState(IClusterState inner, IReadOnlyDictionary<(string, string), PodSpecView> pods) : IClusterState
{
    public static StaticClusterStateSource SamplesWith(params (string Namespace, JsonObject Pod)[] pods) =>
        new(new KnownPodsState(Support.RunningHost.Samples.Current, pods.ToDictionary(
            p => (p.Namespace, (string)p.Pod["metadata"]!["name"]!),
            p => PodSpecReader.Read(JsonSerializer.SerializeToElement(p.Pod)).View ?? throw new InvalidOperationException("unreadable pod"))));

    public IReadOnlyDictionary<string, string>? NamespaceLabels(string name) => inner.NamespaceLabels(name);

    public IReadOnlyList<AgentWorkload> WorkloadsIn(string @namespace) => inner.WorkloadsIn(@namespace);

    public IReadOnlyList<SandboxException> ExceptionsIn(string @namespace) => inner.ExceptionsIn(@namespace);

    public RuntimeClassInfo? RuntimeClass(string name) => inner.RuntimeClass(name);

    public NodeInfo? Node(string name) => inner.Node(name);

    public PodSpecView? Pod(string @namespace, string name) => pods.GetValueOrDefault((@namespace, name));
}
