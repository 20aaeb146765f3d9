using System.Net;
using k8s;
using k8s.Autorest;

namespace SandboxOperator.Controller.Runtime;

/// <summary>Classifies API failures, however KubernetesClient surfaced them.</summary>
public static class ApiErrors
{
    /// <summary>True for a 410 Gone / Expired: the resourceVersion is too old and the caller must relist.</summary>
    public static bool IsGone(Exception e) => e switch
    {
        KubernetesException k => k.Status?.Code == 410 || k.Status?.Reason is "Expired" or "Gone",
        HttpOperationException h => h.Response?.StatusCode == HttpStatusCode.Gone,
        _ => false,
    };

    /// <summary>The HTTP status of a failed request, or null when it never got an answer.</summary>
    public static HttpStatusCode? StatusOf(Exception e) => e switch
    {
        HttpOperationException h => h.Response?.StatusCode,
        KubernetesException k when k.Status?.Code is { } code => (HttpStatusCode)code,
        _ => null,
    };
}
