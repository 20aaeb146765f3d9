namespace SandboxOperator.Testing.KubeApi;

/// <summary>
/// Run-time fault injection: latency, failing responses, 409 Conflicts on writes, cut watches and expired
/// resourceVersions. Thread-safe; settings apply to requests that arrive after the call.
/// </summary>
public sealed class FaultInjector
{
    private readonly Lock _gate = new();
    private readonly List<FailureRule> _failures = [];
    private readonly ObjectStore _store;
    private TimeSpan _latency;

    internal FaultInjector(ObjectStore store) => _store = store;

    /// <summary>Delay added before every resource request is handled (watches: before the stream starts).</summary>
    public TimeSpan Latency
    {
        get { lock (_gate) { return _latency; } }
        set { lock (_gate) { _latency = value; } }
    }

    /// <summary>
    /// Makes the next <paramref name="count"/> matching requests fail with <paramref name="statusCode"/> (a 5xx or 429)
    /// and a matching <c>Status</c>. A 429 carries <c>Retry-After</c> (<paramref name="retryAfterSeconds"/>, default 1).
    /// </summary>
    /// <param name="count">How many requests to fail.</param>
    /// <param name="statusCode">HTTP status to answer, e.g. 500, 503 or 429.</param>
    /// <param name="verb">Only requests with this verb, or any.</param>
    /// <param name="resource">Only this resource (<c>pods</c>, which includes <c>pods/status</c>, or <c>pods/status</c>), or any.</param>
    /// <param name="retryAfterSeconds">Seconds for <c>Retry-After</c> on 429 (and 503 when given).</param>
    public void FailNextRequests(int count, int statusCode, ApiVerb? verb = null, string? resource = null, int? retryAfterSeconds = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        if (statusCode is not (429 or >= 500 and <= 599))
        {
            throw new ArgumentOutOfRangeException(nameof(statusCode), statusCode, "Only 429 and 5xx can be injected.");
        }

        var error = statusCode switch
        {
            429 => new ApiError(429, "TooManyRequests", "the server has received too many requests and has asked us to try again later") { RetryAfterSeconds = retryAfterSeconds ?? 1 },
            503 => new ApiError(503, "ServiceUnavailable", "the server is currently unable to handle the request") { RetryAfterSeconds = retryAfterSeconds },
            504 => new ApiError(504, "Timeout", "the server was unable to return a response in the time allotted"),
            _ => new ApiError(statusCode, "InternalError", "Internal error occurred: injected fault"),
        };
        lock (_gate)
        {
            _failures.Add(new FailureRule(count, r => (verb is null || r.Verb == verb) && RequestCounters.Matches(resource, r.Resource), _ => error));
        }
    }

    /// <summary>Makes the next <paramref name="count"/> writes (create, update, patch, delete, incl. subresources) of <paramref name="resource"/> fail with 409 Conflict.</summary>
    public void ConflictNextWrites(string resource, int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        lock (_gate)
        {
            _failures.Add(new FailureRule(count, r => r.Verb.IsWrite() && RequestCounters.Matches(resource, r.Resource), r => ApiError.Conflict(r.Type, r.Name ?? "")));
        }
    }

    /// <summary>Ends every open watch stream now; returns how many were cut.</summary>
    public int CutWatches(WatchCutMode mode = WatchCutMode.AbortConnection) => _store.CutWatches(mode);

    /// <summary>Drops the event history: the next watch from an older resourceVersion gets a 410 Expired ERROR event.</summary>
    public void ExpireResourceVersions() => _store.ExpireHistory();

    /// <summary>Removes latency and every pending failure.</summary>
    public void Reset()
    {
        lock (_gate)
        {
            _latency = TimeSpan.Zero;
            _failures.Clear();
        }
    }

    /// <summary>The injected failure for this request, consuming one from the first matching rule; null when none applies.</summary>
    internal ApiError? TakeFailure(FaultTarget request)
    {
        lock (_gate)
        {
            var rule = _failures.FirstOrDefault(r => r.Applies(request));
            if (rule is null)
            {
                return null;
            }

            if (--rule.Remaining == 0)
            {
                _failures.Remove(rule);
            }

            return rule.Error(request);
        }
    }

    private sealed class FailureRule(int count, Func<FaultTarget, bool> applies, Func<FaultTarget, ApiError> error)
    {
        public int Remaining { get; set; } = count;

        public Func<FaultTarget, bool> Applies { get; } = applies;

        public Func<FaultTarget, ApiError> Error { get; } = error;
    }
}

/// <summary>What a fault rule sees of a request.</summary>
internal sealed record FaultTarget(ApiVerb Verb, ResourceType Type, string Resource, string? Name);
