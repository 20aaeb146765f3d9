using System.Net;
using k8s;
using k8s.Autorest;
using SandboxOperator.Controller.Caching;
using SandboxOperator.Controller.Runtime;
using SandboxOperator.Policy.Configuration;

namespace SandboxOperator.Controller.Reconciling;

/// <summary>
/// Keeps the sandbox RuntimeClasses (when <see cref="PolicyConfig.ManageRuntimeClasses"/>) as
/// <see cref="RuntimeClassTemplate"/> describes them: creates a missing one (also after it was deleted) and
/// restores drifted overhead or scheduling. Keys are RuntimeClass names; other names are ignored.
/// </summary>
/// <remarks>
/// A class with the right name and a handler the runtime accepts (kata-deploy's <c>kata</c> for Kata, say) is left as
/// it is. One with a handler the runtime does not accept is never deleted (it may not be ours and pods may use it): the
/// handler is immutable, so this is terminal, reported as a Warning Event on the RuntimeClass and on the workloads'
/// RuntimeClassAvailable condition.
/// </remarks>
public sealed class RuntimeClassReconciler(IKubernetes client, ClusterCache cache, PolicyConfig config, EventRecorder events) : IReconciler
{
    public string Name => "runtimeclass";

    /// <summary>The RuntimeClass names this reconciler owns.</summary>
    public IEnumerable<string> Names => config.SandboxRuntimes.Select(s => s.RuntimeClassName);

    public async Task<ReconcileResult> ReconcileAsync(string @namespace, string name, CancellationToken cancellationToken)
    {
        var settings = config.SandboxRuntimes.FirstOrDefault(s => s.RuntimeClassName == name);
        if (settings is null || !config.ManageRuntimeClasses)
        {
            return ReconcileResult.Done;
        }

        var desired = RuntimeClassTemplate.Build(settings);
        try
        {
            if (cache.RuntimeClasses.Get("", name) is not { } actual)
            {
                await client.NodeV1.CreateRuntimeClassAsync(desired, cancellationToken: cancellationToken).ConfigureAwait(false);
                return ReconcileResult.Done;
            }

            if (!settings.Accepts(actual.Info.Handler))
            {
                var message = $"RuntimeClass \"{name}\" has handler \"{actual.Info.Handler}\", which is not a {settings.Runtime} handler (the policy accepts {settings.AcceptedHandlers}); the handler is immutable: delete the RuntimeClass and the operator recreates it with \"{settings.Handler}\"";
                await events.EmitAsync(new EventTarget("node.k8s.io/v1", "RuntimeClass", "", name, ""), "Warning", "HandlerMismatch", "Reconcile", message, cancellationToken).ConfigureAwait(false);
                return ReconcileResult.Terminal(message);
            }

            if (RuntimeClassTemplate.Matches(actual, settings))
            {
                return ReconcileResult.Done;
            }

            // The handler is immutable: an accepted one is kept, only overhead and scheduling are restored.
            desired.Handler = actual.Info.Handler;
            desired.Metadata.ResourceVersion = actual.ResourceVersion;
            await client.NodeV1.ReplaceRuntimeClassAsync(desired, name, cancellationToken: cancellationToken).ConfigureAwait(false);
            return ReconcileResult.Done;
        }
        catch (HttpOperationException e) when (e.Response.StatusCode is HttpStatusCode.Conflict or HttpStatusCode.NotFound)
        {
            // AlreadyExists / Conflict / gone meanwhile: the cache is behind; retry once it caught up.
            return ReconcileResult.Retry($"RuntimeClass {name}: {(int)e.Response.StatusCode}, the cache is behind");
        }
        catch (HttpOperationException e) when ((int)e.Response.StatusCode is >= 400 and < 500 and not 429)
        {
            return ReconcileResult.Terminal($"RuntimeClass {name} refused ({(int)e.Response.StatusCode}): {e.Response.Content}");
        }
    }
}
