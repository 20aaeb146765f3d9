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

    /// <summary>
    /// Why a list or watch of <paramref name="resource"/> (its plural name) failed, as an operator can act on it: the
    /// usual causes of 404 (a CustomResourceDefinition not installed), 403 (RBAC) and 401 (credentials) are named;
    /// any other answer is its HTTP status, and a request that got no answer is its exception's message.
    /// </summary>
    public static string Explain(Exception e, string resource) => StatusOf(e) switch
    {
        HttpStatusCode.NotFound =>
            $"the API server does not serve {resource} (404 Not Found): is its CustomResourceDefinition installed? " +
            "(helm upgrade installs no CRD that is new to a release: kubectl apply the chart's crds/ folder)",
        HttpStatusCode.Forbidden =>
            $"the operator may not list and watch {resource} (403 Forbidden): check the ClusterRole bound to its ServiceAccount",
        HttpStatusCode.Unauthorized => "the API server does not accept the operator's credentials (401 Unauthorized)",
        { } status => $"the API server answered {(int)status} {status}",
        null => e.Message,
    };

    /// <summary>The HTTP status of a failed request, or null when it never got an answer.</summary>
    public static HttpStatusCode? StatusOf(Exception e) => e switch
    {
        HttpOperationException h => h.Response?.StatusCode,
        KubernetesException k when k.Status?.Code is { } code => (HttpStatusCode)code,
        _ => null,
    };
}
