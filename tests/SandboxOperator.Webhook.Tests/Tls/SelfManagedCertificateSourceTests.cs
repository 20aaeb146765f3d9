using System.Diagnostics.Metrics;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using SandboxOperator.Webhook.Tls;

namespace SandboxOperator.Webhook.Tests.Tls;

public sealed class SelfManagedCertificateSourceTests
{
    private static readonly (IReadOnlyList<string> Dns, IReadOnlyList<IPAddress> Ips) Names =
        SelfManagedCertificateSettings.NamesFor("sandbox-webhook", "sandbox-system", local: false);

    private static readonly SelfManagedCertificateSettings Settings =
        new(Names.Dns, Names.Ips, TimeSpan.FromDays(300), TimeSpan.FromDays(30), TimeSpan.FromMinutes(1));

    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>An in-memory Secret with resourceVersion semantics, and the published caBundles.</summary>
    private sealed class FakeStore : ICertificateSecretStore
    {
        private int _version;
        public StoredBundle? Stored { get; set; }
        public List<string> Published { get; } = [];
        public int Creates { get; private set; }
        public int Replaces { get; private set; }
        public bool FailReplaceOnce { get; set; }

        public Task<StoredBundle?> ReadAsync(CancellationToken cancellationToken) => Task.FromResult(Stored);

        public Task<StoredBundle> CreateAsync(CertificateBundle bundle, CancellationToken cancellationToken)
        {
            if (Stored is null)
            {
                Creates++;
                Stored = new StoredBundle(bundle, (++_version).ToString(System.Globalization.CultureInfo.InvariantCulture));
            }

            return Task.FromResult(Stored);
        }

        public Task<StoredBundle?> ReplaceAsync(CertificateBundle bundle, string version, CancellationToken cancellationToken)
        {
            if (FailReplaceOnce || Stored?.Version != version)
            {
                FailReplaceOnce = false;
                return Task.FromResult<StoredBundle?>(null);
            }

            Replaces++;
            Stored = new StoredBundle(bundle, (++_version).ToString(System.Globalization.CultureInfo.InvariantCulture));
            return Task.FromResult<StoredBundle?>(Stored);
        }

        /// <summary>The caBundle the webhook configurations hold (null: created again without one).</summary>
        public string? InConfigurations { get; set; }

        public Task<bool> PublishCaBundleAsync(string caPem, CancellationToken cancellationToken)
        {
            Published.Add(caPem);
            var written = InConfigurations != caPem;
            InConfigurations = caPem;
            return Task.FromResult(written);
        }
    }

    private static (ServingCertificate Serving, SelfManagedCertificateSource Source) NewReplica(ICertificateSecretStore? store, TimeProvider time, SelfManagedCertificateSettings? settings = null)
    {
        var serving = new ServingCertificate(new TestMeterFactory());
        return (serving, new SelfManagedCertificateSource(serving, settings ?? Settings, store, NullLogger<SelfManagedCertificateSource>.Instance, time));
    }

    [Fact]
    public async Task Replicas_share_one_CA_through_the_secret_and_publish_it()
    {
        var time = new FakeTimeProvider(Start);
        var store = new FakeStore();
        var (a, sourceA) = NewReplica(store, time);
        var (b, sourceB) = NewReplica(store, time);

        await sourceA.SyncOnceAsync(CancellationToken.None);
        await sourceB.SyncOnceAsync(CancellationToken.None);

        Assert.Equal(1, store.Creates);
        Assert.Equal(a.Current!.Thumbprint, b.Current!.Thumbprint);
        Assert.Equal(store.Stored!.Bundle.CaPem, Assert.Single(store.Published.Distinct()));
        Assert.True(CertificateFactory.Covers(a.Current, Names.Dns, []));
        Assert.Contains("sandbox-webhook.sandbox-system.svc.cluster.local", Names.Dns);
        AssertChainsTo(a.Current, store.Stored.Bundle.CaPem);
        Assert.DoesNotContain("PRIVATE KEY", store.Stored.Bundle.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_serving_certificate_is_renewed_at_two_thirds_of_its_lifetime_with_the_same_CA()
    {
        var time = new FakeTimeProvider(Start);
        var store = new FakeStore();
        var (a, sourceA) = NewReplica(store, time);
        var (b, sourceB) = NewReplica(store, time);
        await sourceA.SyncOnceAsync(CancellationToken.None);
        await sourceB.SyncOnceAsync(CancellationToken.None);
        var firstCert = a.Current!;
        var ca = store.Stored!.Bundle.CaPem;

        time.Advance(TimeSpan.FromDays(19));
        await sourceA.SyncOnceAsync(CancellationToken.None);
        Assert.Same(firstCert, a.Current);
        Assert.Equal(0, store.Replaces);

        time.Advance(TimeSpan.FromDays(2));
        await sourceA.SyncOnceAsync(CancellationToken.None);
        await sourceB.SyncOnceAsync(CancellationToken.None);

        Assert.Equal(1, store.Replaces);
        Assert.NotEqual(firstCert.Thumbprint, a.Current!.Thumbprint);
        Assert.Equal(a.Current.Thumbprint, b.Current!.Thumbprint);
        Assert.Equal(ca, store.Stored.Bundle.CaPem);
        Assert.True(a.Current.NotAfter.ToUniversalTime() > (Start + TimeSpan.FromDays(50)).UtcDateTime);
    }

    [Fact]
    public async Task The_CA_is_rotated_at_two_thirds_keeping_the_old_CA_in_the_bundle()
    {
        var time = new FakeTimeProvider(Start);
        var store = new FakeStore();
        var (a, sourceA) = NewReplica(store, time);
        await sourceA.SyncOnceAsync(CancellationToken.None);
        var oldCa = store.Stored!.Bundle.CaPem;

        time.Advance(TimeSpan.FromDays(201));
        await sourceA.SyncOnceAsync(CancellationToken.None);

        var bundle = new X509Certificate2Collection();
        bundle.ImportFromPem(store.Stored.Bundle.CaPem);
        Assert.Equal(2, bundle.Count);
        Assert.EndsWith(oldCa, store.Stored.Bundle.CaPem, StringComparison.Ordinal);
        Assert.Equal(store.Stored.Bundle.CaPem, store.Published[^1]);
        AssertChainsTo(a.Current!, store.Stored.Bundle.CaPem);
    }

    [Fact]
    public async Task A_certificate_from_a_new_CA_is_served_only_from_the_round_after_that_CA_was_published()
    {
        var time = new FakeTimeProvider(Start);
        var store = new FakeStore();
        var settings = Settings with { CaLifetime = TimeSpan.FromDays(300), CertLifetime = TimeSpan.FromDays(250) };
        var (a, sourceA) = NewReplica(store, time, settings);
        var (b, sourceB) = NewReplica(store, time, settings);
        await sourceA.SyncOnceAsync(CancellationToken.None);
        await sourceB.SyncOnceAsync(CancellationToken.None);
        time.Advance(TimeSpan.FromDays(170));
        await sourceA.SyncOnceAsync(CancellationToken.None);
        await sourceB.SyncOnceAsync(CancellationToken.None);
        var beforeRotation = a.Current!.Thumbprint;
        Assert.Equal(beforeRotation, b.Current!.Thumbprint);

        time.Advance(TimeSpan.FromDays(31));
        await sourceA.SyncOnceAsync(CancellationToken.None);
        await sourceB.SyncOnceAsync(CancellationToken.None);

        // The new CA is published with the old one; both replicas still serve the old CA's certificate.
        Assert.Equal(store.Stored!.Bundle.CaPem, store.Published[^1]);
        Assert.Equal(beforeRotation, a.Current!.Thumbprint);
        Assert.Equal(beforeRotation, b.Current!.Thumbprint);
        AssertChainsTo(a.Current, store.Stored.Bundle.CaPem);

        time.Advance(settings.CheckInterval);
        await sourceA.SyncOnceAsync(CancellationToken.None);
        await sourceB.SyncOnceAsync(CancellationToken.None);

        Assert.Equal(X509Certificate2.CreateFromPem(store.Stored.Bundle.CertPem).Thumbprint, a.Current!.Thumbprint);
        Assert.Equal(a.Current.Thumbprint, b.Current!.Thumbprint);
        AssertChainsTo(a.Current, store.Stored.Bundle.CaPem);
    }

    [Fact]
    public async Task Webhook_configurations_created_again_without_a_caBundle_get_it_back_in_the_next_round()
    {
        var time = new FakeTimeProvider(Start);
        var store = new FakeStore();
        var (_, source) = NewReplica(store, time);
        await source.SyncOnceAsync(CancellationToken.None);
        Assert.Equal(store.Stored!.Bundle.CaPem, store.InConfigurations);

        store.InConfigurations = null;
        time.Advance(Settings.CheckInterval);
        await source.SyncOnceAsync(CancellationToken.None);

        Assert.Equal(store.Stored.Bundle.CaPem, store.InConfigurations);
    }

    [Fact]
    public async Task A_lost_renewal_race_adopts_the_winners_bundle()
    {
        var time = new FakeTimeProvider(Start);
        var store = new FakeStore();
        var (a, sourceA) = NewReplica(store, time);
        await sourceA.SyncOnceAsync(CancellationToken.None);

        time.Advance(TimeSpan.FromDays(21));
        store.FailReplaceOnce = true;
        await sourceA.SyncOnceAsync(CancellationToken.None);

        Assert.Equal(store.Stored!.Bundle.CertPem, sourceA.Bundle!.CertPem);
        Assert.Equal(0, store.Replaces);
        await sourceA.SyncOnceAsync(CancellationToken.None);
        Assert.Equal(1, store.Replaces);
        Assert.Equal(store.Stored.Bundle.CertPem, sourceA.Bundle.CertPem);
    }

    [Fact]
    public async Task A_certificate_for_another_service_name_is_reissued()
    {
        var time = new FakeTimeProvider(Start);
        var store = new FakeStore();
        var (_, sourceA) = NewReplica(store, time);
        await sourceA.SyncOnceAsync(CancellationToken.None);

        var renamed = SelfManagedCertificateSettings.NamesFor("renamed", "sandbox-system", local: false);
        var (b, sourceB) = NewReplica(store, time, Settings with { DnsNames = renamed.Dns });
        await sourceB.SyncOnceAsync(CancellationToken.None);

        Assert.True(CertificateFactory.Covers(b.Current!, renamed.Dns, []));
        Assert.Equal(1, store.Replaces);
    }

    [Fact]
    public async Task Without_a_store_the_certificate_lives_in_memory_and_covers_localhost()
    {
        var local = SelfManagedCertificateSettings.NamesFor("svc", "ns", local: true);
        var (serving, source) = NewReplica(null, new FakeTimeProvider(Start), Settings with { DnsNames = local.Dns, IpAddresses = local.Ips });

        await source.SyncOnceAsync(CancellationToken.None);

        Assert.True(CertificateFactory.Covers(serving.Current!, ["localhost", "svc.ns.svc"], [IPAddress.Loopback]));
    }

    [Fact]
    public async Task The_expiry_gauge_reports_the_serving_certificate()
    {
        var factory = new TestMeterFactory();
        var serving = new ServingCertificate(factory);
        var source = new SelfManagedCertificateSource(serving, Settings, null, NullLogger<SelfManagedCertificateSource>.Instance, new FakeTimeProvider(Start));
        await source.SyncOnceAsync(CancellationToken.None);

        double? observed = null;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (i, l) =>
        {
            if (i.Name == ServingCertificate.ExpiryMetricName)
            {
                l.EnableMeasurementEvents(i);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, v, _, _) => observed = v);
        listener.Start();
        listener.RecordObservableInstruments();

        Assert.Equal(new DateTimeOffset(serving.Current!.NotAfter.ToUniversalTime()).ToUnixTimeSeconds(), observed);
    }

    private static void AssertChainsTo(X509Certificate2 cert, string caPem) =>
        Assert.True(CertificateFactory.ChainsTo(cert, caPem, cert.NotBefore.AddHours(1)), $"{cert.Subject} does not chain to the bundle");
}

/// <summary>A meter factory for tests (each test gets its own meters).</summary>
internal sealed class TestMeterFactory : IMeterFactory
{
    private readonly List<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(options.Name, options.Version, options.Tags, this);
        _meters.Add(meter);
        return meter;
    }

    public void Dispose()
    {
        foreach (var m in _meters)
        {
            m.Dispose();
        }
    }
}
