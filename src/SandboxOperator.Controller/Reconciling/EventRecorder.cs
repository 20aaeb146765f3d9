using System.Collections.Concurrent;
using k8s;
using k8s.Models;

namespace SandboxOperator.Controller.Reconciling;

/// <summary>
/// Emits events.k8s.io/v1 Events, at most once per (object, reason, note) within a dedupe window, so a resync of an
/// unchanged cluster emits nothing.
/// </summary>
/// <remarks>
/// Contract: an Event is remembered only once the API server accepted it; a failed emission throws, so the caller's
/// retry emits it again. Events about cluster-scoped objects go to the <c>default</c> namespace, as kubectl expects.
/// The note is cut to the API's 1 kB limit.
/// </remarks>
public sealed class EventRecorder
{
    public const string ReportingController = "agentsandbox.io/sandbox-operator";
    private const int MaxRemembered = 50_000;

    private readonly IKubernetes _client;
    private readonly string _instance;
    private readonly TimeProvider _time;
    private readonly TimeSpan _window;
    private readonly ConcurrentDictionary<string, DateTimeOffset> _emitted = new(StringComparer.Ordinal);
    private long _count;

    public EventRecorder(IKubernetes client, string instance, TimeSpan dedupeWindow, TimeProvider? time = null)
    {
        _client = client;
        _instance = instance.Length > 128 ? instance[..128] : instance;
        _window = dedupeWindow;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Events accepted by the API server so far.</summary>
    public long Emitted => Interlocked.Read(ref _count);

    /// <summary>Emits the Event unless the same one was emitted within the window; returns whether it was sent.</summary>
    public async Task<bool> EmitAsync(EventTarget target, string type, string reason, string action, string note, CancellationToken cancellationToken)
    {
        var key = $"{target.Uid}|{target.Namespace}/{target.Name}|{reason}|{note}";
        var now = _time.GetUtcNow();
        if (_emitted.TryGetValue(key, out var at) && now - at < _window)
        {
            return false;
        }

        var ns = target.Namespace.Length == 0 ? "default" : target.Namespace;
        var ev = new Eventsv1Event
        {
            ApiVersion = "events.k8s.io/v1",
            Kind = "Event",
            Metadata = new V1ObjectMeta { Name = $"{target.Name}.{Guid.NewGuid():N}"[..Math.Min(target.Name.Length + 17, 253)], NamespaceProperty = ns },
            EventTime = now.UtcDateTime,
            ReportingController = ReportingController,
            ReportingInstance = _instance,
            Action = action,
            Reason = reason,
            Note = note.Length > 1024 ? note[..1021] + "..." : note,
            Type = type,
            Regarding = new V1ObjectReference
            {
                ApiVersion = target.ApiVersion,
                Kind = target.Kind,
                Name = target.Name,
                NamespaceProperty = target.Namespace.Length == 0 ? null : target.Namespace,
                Uid = target.Uid,
            },
        };
        await _client.EventsV1.CreateNamespacedEventAsync(ev, ns, cancellationToken: cancellationToken).ConfigureAwait(false);
        Interlocked.Increment(ref _count);
        _emitted[key] = now;
        if (_emitted.Count > MaxRemembered)
        {
            Prune(now);
        }

        return true;
    }

    private void Prune(DateTimeOffset now)
    {
        foreach (var (key, at) in _emitted)
        {
            if (now - at >= _window)
            {
                _emitted.TryRemove(key, out _);
            }
        }
    }
}

/// <summary>The object an Event is about.</summary>
public sealed record EventTarget(string ApiVersion, string Kind, string Namespace, string Name, string Uid);
