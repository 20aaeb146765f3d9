using SandboxOperator.Policy.State;

namespace SandboxOperator.Controller.Caching;

/// <summary>A cached RuntimeClass: the core's view plus the fields the RuntimeClass manager keeps in shape.</summary>
/// <param name="OverheadPodFixed">overhead.podFixed as quantity strings (resource name → quantity); empty when absent.</param>
public sealed record RuntimeClassEntry(RuntimeClassInfo Info, IReadOnlyDictionary<string, string> OverheadPodFixed, string ResourceVersion);
