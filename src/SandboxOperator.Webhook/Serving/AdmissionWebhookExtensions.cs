using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using SandboxOperator.Policy.Configuration;
using SandboxOperator.Webhook.Admission;
using SandboxOperator.Webhook.StateSources;
using SandboxOperator.Webhook.Tls;

namespace SandboxOperator.Webhook.Serving;

/// <summary>Settings of the admission webhook itself; listeners, certificates and logging are the host's.</summary>
public sealed record AdmissionWebhookOptions
{
    /// <summary>The policy the reviews are decided with.</summary>
    public PolicyConfig Policy { get; init; } = PolicyConfig.Default;

    /// <summary>Deadline for one review, well under the API server's default 10 s webhook timeout.</summary>
    public TimeSpan ReviewTimeout { get; init; } = TimeSpan.FromSeconds(4);

    /// <summary>Deadline of the live reads of one review (AgentWorkloads of its namespace, an unknown namespace); below <see cref="ReviewTimeout"/>.</summary>
    public TimeSpan LiveReadTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>How long /readyz answers 503 while still serving, before the listeners close, so endpoints can drop the pod.</summary>
    public TimeSpan ShutdownDelay { get; init; } = TimeSpan.FromSeconds(5);
}

/// <summary>Registers the admission webhook in a host and maps its endpoint.</summary>
public static class AdmissionWebhookExtensions
{
    /// <summary>
    /// Adds the review handler chain (audit log → metrics → policy), the <see cref="AdmissionEndpoint"/>, its
    /// <see cref="AdmissionMetrics"/> (Meter <see cref="AdmissionMetrics.MeterName"/>, which the host exports), the
    /// <see cref="ServingCertificate"/> a certificate source fills, <see cref="Readiness"/> and the
    /// <see cref="ShutdownDrain"/>. The host registers an <see cref="IClusterStateSource"/> and, against a cluster, an
    /// <see cref="ILiveClusterReader"/>.
    /// </summary>
    public static IServiceCollection AddAdmissionWebhook(this IServiceCollection services, AdmissionWebhookOptions options)
    {
        services.AddSingleton(options);
        services.AddSingleton(options.Policy);
        services.AddSingleton<ServingCertificate>();
        services.AddSingleton<AdmissionMetrics>();
        services.AddSingleton<Readiness>();
        services.AddHostedService<ShutdownDrain>();
        services.AddSingleton<IAdmissionHandler>(sp => new AuditLoggingAdmissionHandler(
            new MeasuredAdmissionHandler(
                new PolicyAdmissionHandler(options.Policy, sp.GetRequiredService<IClusterStateSource>(), sp.GetService<ILiveClusterReader>(), options.LiveReadTimeout, sp.GetService<TimeProvider>()),
                sp.GetRequiredService<AdmissionMetrics>()),
            sp.GetRequiredService<ILogger<AuditLoggingAdmissionHandler>>()));
        services.AddSingleton(sp => new AdmissionEndpoint(
            sp.GetRequiredService<IAdmissionHandler>(), sp.GetRequiredService<AdmissionMetrics>(),
            sp.GetRequiredService<ILogger<AdmissionEndpoint>>(), options.ReviewTimeout));
        return services;
    }

    /// <summary>
    /// Sends the requests <paramref name="predicate"/> selects (the host's webhook listener) to the
    /// <see cref="AdmissionEndpoint"/>, which answers every path itself: <c>POST /mutate</c>, <c>POST /validate</c>,
    /// 404 and 405 otherwise.
    /// </summary>
    public static IApplicationBuilder MapAdmission(this IApplicationBuilder app, Func<HttpContext, bool> predicate)
    {
        var endpoint = app.ApplicationServices.GetRequiredService<AdmissionEndpoint>();
        return app.MapWhen(predicate, branch => branch.Run(endpoint.InvokeAsync));
    }
}
