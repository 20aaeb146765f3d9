using System.Diagnostics.CodeAnalysis;

namespace SandboxOperator.Testing.KubeApi;

/// <summary>Either a value or an <see cref="ApiError"/>; errors travel as values until the HTTP edge.</summary>
public readonly struct Outcome<T>
{
    private Outcome(T? value, ApiError? error)
    {
        Value = value;
        Error = error;
    }

    /// <summary>The value when <see cref="IsSuccess"/>.</summary>
    public T? Value { get; }

    /// <summary>The error when not <see cref="IsSuccess"/>.</summary>
    public ApiError? Error { get; }

    /// <summary>Whether this holds a value.</summary>
    [MemberNotNullWhen(true, nameof(Value))]
    [MemberNotNullWhen(false, nameof(Error))]
    public bool IsSuccess => Error is null;

#pragma warning disable CA1000 // factories on the generic type read best at call sites: Outcome<T>.Success(x)
    /// <summary>Wraps a value.</summary>
    public static Outcome<T> Success(T value) => new(value, null);

    /// <summary>Wraps an error.</summary>
    public static Outcome<T> Failure(ApiError error) => new(default, error);
#pragma warning restore CA1000

#pragma warning disable CA2225 // the named factories above are the alternates
    /// <summary>Wraps a value.</summary>
    public static implicit operator Outcome<T>(T value) => Success(value);

    /// <summary>Wraps an error.</summary>
    public static implicit operator Outcome<T>(ApiError error) => Failure(error);
#pragma warning restore CA2225
}
