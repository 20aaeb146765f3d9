namespace SandboxOperator.Testing.KubeApi;

/// <summary>
/// Describes one REST resource the server serves: where it lives in the URL space and how it behaves.
/// </summary>
/// <param name="Group">API group; empty for the core ("legacy") group served under <c>/api</c>.</param>
/// <param name="Version">API version, e.g. <c>v1</c>.</param>
/// <param name="Kind">Object kind, e.g. <c>Pod</c>. The list kind is <c>Kind + "List"</c>.</param>
/// <param name="Plural">Lower-case plural resource name used in URLs, e.g. <c>pods</c>.</param>
/// <param name="Namespaced">Whether objects live in a namespace.</param>
/// <param name="HasStatus">
/// Whether the resource has a <c>/status</c> subresource. When true, writes to the main resource keep the stored
/// status, writes to <c>/status</c> change only status, and status is dropped on create (as the real server does).
/// </param>
/// <param name="ReturnsDeletedObject">
/// Whether DELETE answers with the deleted object (pods, custom resources) rather than a <c>Status</c> of success.
/// </param>
public sealed record ResourceType(
    string Group,
    string Version,
    string Kind,
    string Plural,
    bool Namespaced,
    bool HasStatus,
    bool ReturnsDeletedObject = false)
{
    /// <summary>The <c>apiVersion</c> value of objects of this type: <c>v1</c> or <c>group/version</c>.</summary>
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";

    /// <summary>The kind of list responses, e.g. <c>PodList</c>.</summary>
    public string ListKind => Kind + "List";

    /// <summary>Singular lower-case name, as discovery reports it.</summary>
    public string SingularName => Kind.ToLowerInvariant();

    /// <summary>Group-qualified resource name used in error messages, e.g. <c>leases.coordination.k8s.io</c>.</summary>
    public string QualifiedResource => Group.Length == 0 ? Plural : $"{Plural}.{Group}";

    /// <summary>
    /// A namespaced custom resource with a status subresource, the common shape of an operator's CRD.
    /// DELETE returns the object, as it does for custom resources on a real server.
    /// </summary>
    public static ResourceType CustomResource(string group, string version, string kind, string plural, bool namespaced = true, bool hasStatus = true) =>
        new(group, version, kind, plural, namespaced, hasStatus, ReturnsDeletedObject: true);
}
