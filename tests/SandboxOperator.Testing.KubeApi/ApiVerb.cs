namespace SandboxOperator.Testing.KubeApi;

/// <summary>The request verbs of the Kubernetes API, as audit logs and RBAC name them.</summary>
public enum ApiVerb
{
    /// <summary>GET of one object.</summary>
    Get,

    /// <summary>GET of a collection.</summary>
    List,

    /// <summary>GET of a collection with <c>watch=true</c>.</summary>
    Watch,

    /// <summary>POST of a new object.</summary>
    Create,

    /// <summary>PUT of a whole object.</summary>
    Update,

    /// <summary>PATCH of an object.</summary>
    Patch,

    /// <summary>DELETE of one object.</summary>
    Delete,
}

/// <summary>Helpers over <see cref="ApiVerb"/>.</summary>
public static class ApiVerbs
{
    /// <summary>Whether the verb changes stored state (create, update, patch, delete).</summary>
    public static bool IsWrite(this ApiVerb verb) => verb is ApiVerb.Create or ApiVerb.Update or ApiVerb.Patch or ApiVerb.Delete;
}
