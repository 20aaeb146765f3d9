using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using SandboxOperator.Webhook.Admission;

namespace SandboxOperator;

/// <summary>
/// Caps the connections one listener holds, in total and per client address, as connection middleware placed before
/// TLS: a connection over either cap is closed before any handshake work or buffer is spent on it, so a caller that
/// opens thousands of idle connections costs a bounded amount of memory. Refusals are counted in
/// <c>agentsandbox_webhook_connections_refused_total{limit}</c> (<c>total</c> or <c>client</c>) and logged at most
/// once per <see cref="LogInterval"/>.
/// </summary>
/// <remarks>
/// Caveat: a full listener also refuses the API server's new connections. Established ones (the API server keeps
/// its HTTP/2 connections open) are unaffected, and the per-client cap keeps one address from taking the whole
/// listener; where callers other than the API server can reach the port, a NetworkPolicy or mTLS
/// (<c>--client-ca-file</c>) is what keeps them out.
/// </remarks>
public sealed class ConnectionLimiter
{
    /// <summary>Refusals are logged at most this often.</summary>
    public static readonly TimeSpan LogInterval = TimeSpan.FromSeconds(10);

    private readonly int _maxConnections;
    private readonly int _maxPerClient;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<IPAddress, int> _perClient = new();
    private readonly Counter<long> _refused;
    private int _open;
    private long _lastLog;

    public ConnectionLimiter(int maxConnections, int maxPerClient, IMeterFactory meterFactory, ILogger<ConnectionLimiter> logger, TimeProvider? time = null)
    {
        _maxConnections = maxConnections;
        _maxPerClient = maxPerClient;
        _logger = logger;
        _time = time ?? TimeProvider.System;
        _refused = meterFactory.Create(AdmissionMetrics.MeterName).CreateCounter<long>(
            "agentsandbox_webhook_connections_refused", description: "Webhook connections closed before the TLS handshake because a connection limit was reached (limit: total or client).");
    }

    /// <summary>Connections currently held.</summary>
    public int Open => Volatile.Read(ref _open);

    /// <summary>The middleware; pass to <c>ListenOptions.Use</c> before <c>UseHttps</c>.</summary>
    public ConnectionDelegate Wrap(ConnectionDelegate next) => async connection =>
    {
        var address = (connection.RemoteEndPoint as IPEndPoint)?.Address;
        var client = address is { IsIPv4MappedToIPv6: true } ? address.MapToIPv4() : address;
        var refusal = TryEnter(client);
        if (refusal is not null)
        {
            _refused.Add(1, new KeyValuePair<string, object?>("limit", refusal));
            LogRefusal(refusal);
            return; // Kestrel closes the connection once the delegate returns.
        }

        try
        {
            await next(connection).ConfigureAwait(false);
        }
        finally
        {
            Exit(client);
        }
    };

    /// <summary>Takes a slot; returns null, or which limit refused it.</summary>
    private string? TryEnter(IPAddress? client)
    {
        if (Interlocked.Increment(ref _open) > _maxConnections)
        {
            Interlocked.Decrement(ref _open);
            return "total";
        }

        if (client is not null && _perClient.AddOrUpdate(client, 1, static (_, n) => n + 1) > _maxPerClient)
        {
            Exit(client);
            return "client";
        }

        return null;
    }

    private void Exit(IPAddress? client)
    {
        if (client is not null && _perClient.AddOrUpdate(client, 0, static (_, n) => n - 1) <= 0)
        {
            // Only removes the entry if it is still 0, so a connection entering meanwhile keeps its count.
            _perClient.TryRemove(new KeyValuePair<IPAddress, int>(client, 0));
        }

        Interlocked.Decrement(ref _open);
    }

    private void LogRefusal(string limit)
    {
        var now = _time.GetTimestamp();
        var last = Interlocked.Read(ref _lastLog);
        if ((last != 0 && _time.GetElapsedTime(last, now) < LogInterval) || Interlocked.CompareExchange(ref _lastLog, now, last) != last)
        {
            return;
        }

        _logger.LogWarning(
            "webhook connection refused: the {Limit} connection limit is reached ({Open} open, at most {Max} in total and {PerClient} per client address); see agentsandbox_webhook_connections_refused_total",
            limit, Open, _maxConnections, _maxPerClient);
    }
}
