namespace SandboxOperator.Controller.Runtime;

/// <summary>
/// What a reconcile asks of the controller: nothing more (<see cref="Done"/>), to come back after a while
/// (<see cref="After"/>), to retry with the key's backoff (<see cref="Retry"/>, for transient failures such as a
/// 409 Conflict), or to stop retrying (<see cref="Terminal"/>, after the reconciler has recorded why on the object).
/// </summary>
public readonly record struct ReconcileResult(ReconcileOutcome Outcome, TimeSpan? RequeueAfter = null, string? Error = null)
{
    public static ReconcileResult Done { get; } = new(ReconcileOutcome.Success);

    public static ReconcileResult After(TimeSpan delay) => new(ReconcileOutcome.Success, delay);

    public static ReconcileResult Retry(string error) => new(ReconcileOutcome.Retry, null, error);

    public static ReconcileResult Terminal(string error) => new(ReconcileOutcome.Terminal, null, error);

    /// <summary>The <c>result</c> label value of <c>agentsandbox_reconcile_total</c>.</summary>
    public string MetricLabel => Outcome switch
    {
        ReconcileOutcome.Success => RequeueAfter is null ? "success" : "requeue",
        ReconcileOutcome.Retry => "error",
        _ => "terminal",
    };
}

/// <summary>How a reconcile ended.</summary>
public enum ReconcileOutcome
{
    Success,
    Retry,
    Terminal,
}
