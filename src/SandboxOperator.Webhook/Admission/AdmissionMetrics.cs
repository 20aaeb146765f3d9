using System.Diagnostics;
using System.Diagnostics.Metrics;
using SandboxOperator.Policy.Decisions;

namespace SandboxOperator.Webhook.Admission;

/// <summary>
/// The admission instruments on the shared <c>SandboxOperator</c> meter:
/// <c>agentsandbox_admission_requests_total{webhook,operation,kind,decision}</c>,
/// <c>agentsandbox_admission_denials_total{webhook,kind,rule}</c> and
/// <c>agentsandbox_admission_duration_seconds{webhook,operation,kind}</c>.
/// </summary>
/// <remarks>
/// Guarantee: every label value comes from a fixed set, whatever a caller sends, so a caller reaching the webhook
/// directly cannot grow the number of series (and with it memory and the size of <c>/metrics</c>). <c>webhook</c>,
/// <c>operation</c> and <c>decision</c> are enums; <c>kind</c> is one of the kinds the policy covers (see
/// <see cref="KindLabel"/>) or <see cref="OtherKind"/>; <c>rule</c> is one of <see cref="RuleIds.All"/> or
/// <see cref="KindNotJudgedRule"/> or <see cref="OtherRule"/>.
/// </remarks>
public sealed class AdmissionMetrics
{
    /// <summary>The meter every operator instrument lives on (the controller adds its own to it).</summary>
    public const string MeterName = "SandboxOperator";
    public const string RequestsName = "agentsandbox_admission_requests_total";
    public const string DurationName = "agentsandbox_admission_duration_seconds";
    public const string DenialsName = "agentsandbox_admission_denials_total";

    /// <summary>The <c>rule</c> label of a review refused because the policy does not judge its kind at all.</summary>
    public const string KindNotJudgedRule = "kind-not-judged";

    /// <summary>The <c>rule</c> label of a denial whose rule is not in the fixed set (none today; kept so a new code path cannot grow the series).</summary>
    public const string OtherRule = "other";

    /// <summary>Histogram buckets in seconds, fine below a millisecond where the webhook normally answers.</summary>
    public static readonly double[] DurationBuckets =
        [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

    private readonly Counter<long> _requests;
    private readonly Histogram<double> _duration;
    private readonly Counter<long> _denials;

    public AdmissionMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _requests = meter.CreateCounter<long>(RequestsName, description: "Admission reviews answered, by webhook, operation, kind and decision (allowed, denied, mutated, error).");
        _duration = meter.CreateHistogram<double>(DurationName, unit: "s", description: "Time to decide an admission review, from decoded request to outcome.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _denials = meter.CreateCounter<long>(DenialsName, description: "Admission reviews denied, by webhook, kind and the rule that denied them; a review denied by two rules counts once under each.");
    }

    /// <summary>The <c>kind</c> label of every kind the policy does not cover, and of every made-up one.</summary>
    public const string OtherKind = "other";

    public void Record(WebhookKind webhook, string operation, string kind, string decision, double seconds)
    {
        var tags = new TagList { { "webhook", Name(webhook) }, { "operation", operation }, { "kind", kind } };
        _duration.Record(seconds, tags);
        tags.Add("decision", decision);
        _requests.Add(1, tags);
    }

    /// <summary>Counts one denial under each rule that decided it; a rule outside the fixed set is never a label.</summary>
    public void RecordDenial(WebhookKind webhook, string kind, IReadOnlyList<string> rules)
    {
        foreach (var rule in rules)
        {
            _denials.Add(1, new TagList { { "webhook", Name(webhook) }, { "kind", kind }, { "rule", RuleIds.All.Contains(rule) || rule == KindNotJudgedRule ? rule : OtherRule } });
        }
    }

    /// <summary>Counts a request that could not be decoded (no operation or kind known).</summary>
    public void RecordUndecodable(WebhookKind webhook) =>
        _requests.Add(1, new TagList { { "webhook", Name(webhook) }, { "operation", "" }, { "kind", "" }, { "decision", "error" } });

    /// <summary>
    /// The <c>kind</c> label of a review: the kind itself when the policy core covers it
    /// (<see cref="AdmissionEvaluator.Covers"/>), <see cref="OtherKind"/> otherwise. Derived from the core, not from a
    /// second list, so a kind the core learns is labelled by name without a change here.
    /// </summary>
    public static string KindLabel(string group, string kind) => AdmissionEvaluator.Covers(group, kind) ? kind : OtherKind;

    public static string Name(WebhookKind webhook) => webhook == WebhookKind.Mutate ? "mutate" : "validate";

    public static string Name(AdmissionOperation operation) => operation switch
    {
        AdmissionOperation.Create => "CREATE",
        AdmissionOperation.Update => "UPDATE",
        AdmissionOperation.Delete => "DELETE",
        _ => "CONNECT",
    };
}

/// <summary>Records the count and duration of every review the inner handler answers (or fails).</summary>
public sealed class MeasuredAdmissionHandler(IAdmissionHandler inner, AdmissionMetrics metrics) : IAdmissionHandler
{
    public ValueTask<AdmissionOutcome> HandleAsync(AdmissionCall call, CancellationToken cancellationToken)
    {
        var start = Stopwatch.GetTimestamp();
        ValueTask<AdmissionOutcome> pending;
        try
        {
            pending = inner.HandleAsync(call, cancellationToken);
        }
        catch
        {
            Record(call, start, null);
            throw;
        }

        if (pending.IsCompletedSuccessfully)
        {
            var outcome = pending.Result;
            Record(call, start, outcome);
            return new ValueTask<AdmissionOutcome>(outcome);
        }

        return AwaitAsync(pending, call, start);
    }

    private async ValueTask<AdmissionOutcome> AwaitAsync(ValueTask<AdmissionOutcome> pending, AdmissionCall call, long start)
    {
        AdmissionOutcome outcome;
        try
        {
            outcome = await pending.ConfigureAwait(false);
        }
        catch
        {
            Record(call, start, null);
            throw;
        }

        Record(call, start, outcome);
        return outcome;
    }

    private void Record(AdmissionCall call, long start, AdmissionOutcome? outcome)
    {
        var decision = outcome switch
        {
            null or { IsError: true } => "error",
            { Allowed: false } => "denied",
            { Patch: not null } => "mutated",
            _ => "allowed",
        };
        var kind = AdmissionMetrics.KindLabel(call.Request.Group, call.Request.Kind);
        metrics.Record(call.Webhook, AdmissionMetrics.Name(call.Request.Operation), kind, decision, Stopwatch.GetElapsedTime(start).TotalSeconds);
        if (decision == "denied")
        {
            metrics.RecordDenial(call.Webhook, kind, DeniedBy(call.Request, outcome!));
        }
    }

    /// <summary>The rules behind a denial: the decision's, or <see cref="AdmissionMetrics.KindNotJudgedRule"/> for a kind the policy does not cover.</summary>
    private static IReadOnlyList<string> DeniedBy(AdmissionRequest request, AdmissionOutcome outcome) =>
        !AdmissionEvaluator.Covers(request.Group, request.Kind) ? [AdmissionMetrics.KindNotJudgedRule]
        : outcome.Decision is { DeniedBy.Count: > 0 } decision ? decision.DeniedBy
        : [AdmissionMetrics.OtherRule];
}
