namespace SandboxOperator.Policy.Api;

/// <summary>Kubernetes name syntax checks.</summary>
public static class Names
{
    /// <summary>True when <paramref name="value"/> is a DNS-1123 subdomain (what object names such as RuntimeClass names must be).</summary>
    public static bool IsDnsSubdomain(string value)
    {
        if (value.Length is 0 or > 253)
        {
            return false;
        }

        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            var alnum = c is >= 'a' and <= 'z' or >= '0' and <= '9';
            if (!alnum && !(c is '-' or '.' && i > 0 && i < value.Length - 1))
            {
                return false;
            }
        }

        return true;
    }
}
