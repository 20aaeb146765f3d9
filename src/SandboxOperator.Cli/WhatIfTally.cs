using System.Text.Json.Nodes;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Policy.Manifests;
using SandboxOperator.Policy.State;

namespace SandboxOperator.Cli;

/// <summary>
/// Runs the what-if over objects as they stream in, keeping only what changes. Pod controllers are compared by their
/// pod template; a ReplicaSet owned by a Deployment and a Job owned by a CronJob are represented by their owner when
/// the owner's kind was listed. Pods are then counted towards the controller that owns them (through ReplicaSet and
/// Job), so a row says how many running pods would move; a pod owned by no listed controller (a bare pod, or one made
/// by a custom controller such as an agent platform's) is compared itself, once per owner.
/// </summary>
/// <remarks>
/// Memory: the changed rows, the owner aliases of changed controllers, and the keys of custom owners already compared
/// (not of bare pods);
/// never the objects themselves. Call order: <see cref="AddController"/> for every controller (owners before what they
/// own: CronJobs and Deployments first), then <see cref="AddPod"/>.
/// </remarks>
internal sealed class WhatIfTally(PolicyConfig current, PolicyConfig candidate, IClusterState state, DateTimeOffset now)
{
    private static readonly HashSet<string> OwnedByParent = ["ReplicaSet", "Job"];
    private readonly Dictionary<string, (WhatIfRow Row, int Pods)> _changed = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _aliases = new(StringComparer.Ordinal);
    private readonly HashSet<string> _listedKinds = new(StringComparer.Ordinal);
    private readonly HashSet<string> _customOwnersSeen = new(StringComparer.Ordinal);

    /// <summary>Objects compared.</summary>
    public int Evaluated { get; private set; }

    /// <summary>Pods counted (not Succeeded or Failed).</summary>
    public int Pods { get; private set; }

    /// <summary>The rows that change, sorted by namespace, kind and name, with the pods each moves.</summary>
    public IReadOnlyList<(WhatIfRow Row, int Pods)> Changed =>
        [.. _changed.Values.OrderBy(r => r.Row.Namespace, StringComparer.Ordinal).ThenBy(r => r.Row.Kind, StringComparer.Ordinal).ThenBy(r => r.Row.Name, StringComparer.Ordinal)];

    /// <summary>Says that every object of <paramref name="kind"/> has been or will be given to <see cref="AddController"/>.</summary>
    public void Listed(string kind) => _listedKinds.Add(kind);

    /// <summary>A pod controller or an AgentWorkload.</summary>
    public void AddController(ManifestDocument doc)
    {
        var ns = doc.Namespace ?? ManifestSet.DefaultNamespace;
        if (OwnedByParent.Contains(doc.Kind) && ControllerOf(doc.Object) is { } owner && _listedKinds.Contains(owner.Kind))
        {
            // Represented by its owner; its pods count for the owner's row when that one changes.
            if (_changed.ContainsKey(Key(ns, owner.Kind, owner.Name)))
            {
                _aliases[Key(ns, doc.Kind, doc.Name ?? "")] = Key(ns, owner.Kind, owner.Name);
            }

            return;
        }

        Compare(doc, Key(ns, doc.Kind, doc.Name ?? ""));
    }

    /// <summary>A pod: counted for its controller's row, or compared itself when no listed controller owns it.</summary>
    public void AddPod(ManifestDocument doc)
    {
        if (doc.Object["status"]?["phase"]?.GetValue<string>() is "Succeeded" or "Failed")
        {
            return;
        }

        Pods++;
        var ns = doc.Namespace ?? ManifestSet.DefaultNamespace;
        if (ControllerOf(doc.Object) is { } owner && _listedKinds.Contains(owner.Kind))
        {
            var key = Key(ns, owner.Kind, owner.Name);
            key = _aliases.GetValueOrDefault(key, key);
            if (_changed.TryGetValue(key, out var row))
            {
                _changed[key] = (row.Row, row.Pods + 1);
            }

            return;
        }

        // A bare pod is its own group; pods of one custom owner are compared once, by the first of them.
        var custom = ControllerOf(doc.Object);
        var group = custom is { } c ? Key(ns, c.Kind, c.Name) : Key(ns, "Pod", doc.Name ?? "");
        if (_changed.TryGetValue(group, out var existing))
        {
            _changed[group] = (existing.Row, existing.Pods + 1);
            return;
        }

        if ((custom is null || _customOwnersSeen.Add(group)) && Compare(doc, group))
        {
            _changed[group] = (_changed[group].Row, 1);
        }
    }

    private bool Compare(ManifestDocument doc, string key)
    {
        Evaluated++;
        var row = WhatIf.Compare(doc, current, candidate, state, now);
        if (!row.Changed)
        {
            return false;
        }

        _changed[key] = (row, 0);
        return true;
    }

    private static string Key(string ns, string kind, string name) => $"{ns}/{kind}/{name}";

    private static (string Kind, string Name)? ControllerOf(JsonObject obj)
    {
        if (obj["metadata"]?["ownerReferences"] is not JsonArray refs)
        {
            return null;
        }

        foreach (var r in refs)
        {
            if (r is JsonObject o && o["controller"] is JsonValue c && c.TryGetValue<bool>(out var isController) && isController
                && o["kind"]?.GetValue<string>() is { } kind && o["name"]?.GetValue<string>() is { } name)
            {
                return (kind, name);
            }
        }

        return null;
    }
}
