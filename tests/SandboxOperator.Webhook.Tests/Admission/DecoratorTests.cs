using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging;
using SandboxOperator.Policy.Api;
using SandboxOperator.Policy.Decisions;
using SandboxOperator.Policy.Json;
using SandboxOperator.Webhook.Admission;
using SandboxOperator.Webhook.Tests.Tls;

namespace SandboxOperator.Webhook.Tests.Admission;

public sealed class DecoratorTests
{
    private sealed class Fixed(Func<AdmissionOutcome> answer) : IAdmissionHandler
    {
        public ValueTask<AdmissionOutcome> HandleAsync(AdmissionCall call, CancellationToken cancellationToken) => new(answer());
    }

    private sealed class RecordingLogger<T> : ILogger<T>
    {
        public List<(LogLevel Level, string Message, IReadOnlyList<KeyValuePair<string, object?>> State)> Lines { get; } = [];

        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            Lines.Add((logLevel, formatter(state, exception), state as IReadOnlyList<KeyValuePair<string, object?>> ?? []));
    }

    private static AdmissionCall Call(WebhookKind webhook) =>
        new(webhook, "uid-1", new AdmissionRequest(AdmissionOperation.Create, "", "Pod", "ns", "p", JsonDocument.Parse("{}").RootElement.Clone(), User: new RequestUser("bob", [])), "p");

    [Fact]
    public async Task Measured_handler_counts_each_decision_kind_and_errors()
    {
        using var factory = new TestMeterFactory();
        var metrics = new AdmissionMetrics(factory);
        var decisions = new List<string>();
        var durations = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Name == AdmissionMetrics.MeterName && i.Meter.Scope == factory)
            {
                l.EnableMeasurementEvents(i);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, _, tags, _) =>
        {
            foreach (var t in tags)
            {
                if (t.Key == "decision")
                {
                    decisions.Add((string)t.Value!);
                }
            }
        });
        listener.SetMeasurementEventCallback<double>((_, _, _, _) => durations++);
        listener.Start();

        await new MeasuredAdmissionHandler(new Fixed(() => new AdmissionOutcome(true, 200, null, null, [], null)), metrics).HandleAsync(Call(WebhookKind.Validate), default);
        await new MeasuredAdmissionHandler(new Fixed(() => new AdmissionOutcome(true, 200, null, [PatchOperation.Add("/spec/runtimeClassName", JsonValue.Create("kata"))], [], null)), metrics).HandleAsync(Call(WebhookKind.Mutate), default);
        await new MeasuredAdmissionHandler(new Fixed(() => new AdmissionOutcome(false, 403, "no", null, [], null)), metrics).HandleAsync(Call(WebhookKind.Validate), default);
        await Assert.ThrowsAsync<InvalidOperationException>(async () =>
            await new MeasuredAdmissionHandler(new Fixed(() => throw new InvalidOperationException()), metrics).HandleAsync(Call(WebhookKind.Validate), default));

        Assert.Equal(["allowed", "mutated", "denied", "error"], decisions);
        Assert.Equal(4, durations);
    }

    [Fact]
    public async Task Denials_are_counted_by_the_rules_that_decided_them_from_a_fixed_set()
    {
        using var factory = new TestMeterFactory();
        var metrics = new AdmissionMetrics(factory);
        var rules = new List<(string Webhook, string Kind, string Rule)>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (i.Meter.Scope == factory && i.Name == AdmissionMetrics.DenialsName)
            {
                l.EnableMeasurementEvents(i);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, tags, _) =>
        {
            var t = tags.ToArray().ToDictionary(kv => kv.Key, kv => (string)kv.Value!);
            for (var n = 0; n < value; n++)
            {
                rules.Add((t["webhook"], t["kind"], t["rule"]));
            }
        });
        listener.Start();

        AdmissionOutcome Denied(params string[] deniedBy) => new(false, 403, "no", null, [], new AdmissionDecision { Allowed = false, Mode = EnforcementMode.Enforce, DeniedBy = deniedBy });
        await new MeasuredAdmissionHandler(new Fixed(() => Denied(RuleIds.KataRequired, RuleIds.HostPath)), metrics).HandleAsync(Call(WebhookKind.Validate), default);
        await new MeasuredAdmissionHandler(new Fixed(() => Denied("made-up-" + new string('x', 100))), metrics).HandleAsync(Call(WebhookKind.Validate), default);
        await new MeasuredAdmissionHandler(new Fixed(() => new AdmissionOutcome(true, 200, null, null, [], null)), metrics).HandleAsync(Call(WebhookKind.Validate), default);
        await new MeasuredAdmissionHandler(new Fixed(() => AdmissionOutcome.Failure(504, "late")), metrics).HandleAsync(Call(WebhookKind.Validate), default);
        var secret = new AdmissionCall(WebhookKind.Validate, "uid-2", new AdmissionRequest(AdmissionOperation.Create, "", "Secret", "ns", "s", JsonDocument.Parse("{}").RootElement.Clone(), User: new RequestUser("bob", [])), "s");
        await new MeasuredAdmissionHandler(new Fixed(() => new AdmissionOutcome(false, 403, "not judged", null, [], AdmissionDecision.Uncovered(EnforcementMode.Enforce))), metrics).HandleAsync(secret, default);

        Assert.Equal(
            [("validate", "Pod", "kata-required"), ("validate", "Pod", "host-path"), ("validate", "Pod", "other"), ("validate", "other", "kind-not-judged")],
            rules);
    }

    [Fact]
    public async Task Audit_logger_writes_one_line_per_denial_and_per_audit_violation_and_nothing_for_mutate()
    {
        var logger = new RecordingLogger<AuditLoggingAdmissionHandler>();
        var denial = new AdmissionDecision { Allowed = false, Mode = EnforcementMode.Enforce, Tier = RiskTier.High, Reasons = ["r1"], StatusCode = 403, Message = "denied!" };
        var audit = new AdmissionDecision
        {
            Allowed = true, Mode = EnforcementMode.Audit, Tier = RiskTier.Medium, Reasons = ["r2"],
            Violations = [new Violation("runtime", "pod", "m1"), new Violation("seccomp", "c0", "m2")],
        };

        await new AuditLoggingAdmissionHandler(new Fixed(() => new AdmissionOutcome(false, 403, "denied!", null, [], denial)), logger).HandleAsync(Call(WebhookKind.Validate), default);
        Assert.Single(logger.Lines);
        var state = logger.Lines[0].State.ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal(("ns", "p", "Pod", "bob", "high", "r1"), ((string?)state["Namespace"], (string?)state["Name"], (string?)state["Kind"], (string?)state["User"], (string?)state["Tier"], (string?)state["Reason"]));

        await new AuditLoggingAdmissionHandler(new Fixed(() => new AdmissionOutcome(true, 200, null, null, [], audit)), logger).HandleAsync(Call(WebhookKind.Validate), default);
        Assert.Equal(3, logger.Lines.Count);
        Assert.All(logger.Lines.Skip(1), l => Assert.StartsWith("audit mode violation", l.Message, StringComparison.Ordinal));

        await new AuditLoggingAdmissionHandler(new Fixed(() => new AdmissionOutcome(false, 403, "denied!", null, [], denial)), logger).HandleAsync(Call(WebhookKind.Mutate), default);
        Assert.Equal(3, logger.Lines.Count);
    }

    [Fact]
    public async Task Audit_logger_caps_review_supplied_strings()
    {
        var logger = new RecordingLogger<AuditLoggingAdmissionHandler>();
        var denial = new AdmissionDecision { Allowed = false, Mode = EnforcementMode.Enforce, StatusCode = 403, Message = "denied!" };
        var longName = new string('n', 100_000);
        var call = new AdmissionCall(WebhookKind.Validate, new string('u', 5_000),
            new AdmissionRequest(AdmissionOperation.Create, "", "Pod", "ns", longName, JsonDocument.Parse("{}").RootElement.Clone(), User: new RequestUser(new string('b', 50_000), [])), longName);

        await new AuditLoggingAdmissionHandler(new Fixed(() => new AdmissionOutcome(false, 403, "denied!", null, [], denial)), logger).HandleAsync(call, default);

        var state = logger.Lines.Single().State.ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal(new string('n', LogText.MaxFieldLength) + "… (99744 more characters)", state["Name"]);
        Assert.Equal(new string('b', LogText.MaxFieldLength) + "… (49744 more characters)", state["User"]);
        Assert.Equal(new string('u', LogText.MaxFieldLength) + "… (4744 more characters)", state["Uid"]);
        Assert.True(logger.Lines.Single().Message.Length < 2_000);
    }
}
