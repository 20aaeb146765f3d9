namespace SandboxOperator.Controller.Runtime;

/// <summary>
/// Brings one object towards its desired state. Level-triggered: it is given a key, re-reads everything from the
/// caches and never learns which event caused the call.
/// </summary>
/// <remarks>
/// Contract: return a <see cref="ReconcileResult"/> for every outcome it understands; an exception is treated as a
/// transient failure (retried with backoff). The cancellation token is cancelled when leadership is
/// lost or the process stops; the reconcile must then stop writing.
/// </remarks>
public interface IReconciler
{
    /// <summary>The <c>controller</c> label value of the metrics.</summary>
    string Name { get; }

    Task<ReconcileResult> ReconcileAsync(string @namespace, string name, CancellationToken cancellationToken);
}
