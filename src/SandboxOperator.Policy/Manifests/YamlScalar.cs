using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;

namespace SandboxOperator.Policy.Manifests;

/// <summary>What a YAML scalar resolves to.</summary>
public enum YamlScalarKind
{
    Null,
    Bool,
    Int,
    UInt,
    Float,
    String,
}

/// <summary>
/// A YAML scalar resolved the way kubectl reads it: go-yaml v2 (through sigs.k8s.io/yaml), i.e. YAML 1.1
/// with Go's number syntax. Plain scalars without a tag are resolved: <c>~</c>, <c>null</c> and empty are
/// null; <c>y</c>, <c>yes</c>, <c>on</c>, <c>true</c> (and n/no/off/false) in the lower, Capitalised and UPPER
/// forms are booleans; integers take Go's prefixes (<c>0755</c> and <c>0o755</c> octal, <c>0x</c> hex,
/// <c>0b</c> binary), a sign and underscores; anything else that looks like a float is a float (<c>1e3</c>,
/// <c>.5</c>, <c>08</c>). Quoted and block scalars are strings. Timestamps and sexagesimal numbers stay
/// strings, as they do for kubectl.
/// </summary>
/// <remarks>
/// Caveats, as in kubectl: <c>.inf</c> and <c>.nan</c> resolve to floats JSON cannot hold (see
/// <see cref="ToJson"/>), and integers beyond the signed 64-bit range but within the unsigned one are
/// <see cref="YamlScalarKind.UInt"/>. An explicit tag is honoured: <c>!!str</c> keeps the text, <c>!!int</c>,
/// <c>!!bool</c>, <c>!!float</c> and <c>!!null</c> must resolve to that type, <c>!!binary</c> is base64 and
/// any other tag leaves the text as a string.
/// </remarks>
public readonly record struct YamlScalar(YamlScalarKind Kind, string Text, long Int = 0, ulong UInt = 0, double Float = 0)
{
    private const string TagPrefix = "tag:yaml.org,2002:";

    public static YamlScalar Null => new(YamlScalarKind.Null, "");

    /// <summary>The JSON value: null, a boolean, a number or a string; an error for a float JSON cannot hold.</summary>
    public (JsonNode? Value, string? Error) ToJson() => Kind switch
    {
        YamlScalarKind.Null => (null, null),
        YamlScalarKind.Bool => (JsonValue.Create(Int != 0), null),
        YamlScalarKind.Int => (JsonValue.Create(Int), null),
        YamlScalarKind.UInt => (JsonValue.Create(UInt), null),
        YamlScalarKind.Float when !double.IsFinite(Float) =>
            (null, $"{Text} is {(double.IsNaN(Float) ? "not a number" : "infinite")}, which JSON cannot hold (kubectl refuses it too); quote it to make it a string"),
        YamlScalarKind.Float => (JsonValue.Create(Float), null),
        _ => (JsonValue.Create(Text), null),
    };

    /// <summary>
    /// The JSON property name this scalar becomes as a mapping key, as sigs.k8s.io/yaml converts go-yaml's keys:
    /// strings as they are, integers in decimal, booleans as <c>true</c>/<c>false</c>, floats in Go's shortest
    /// <c>%g</c> form at single precision; null and unsigned 64-bit keys are refused as kubectl refuses them.
    /// </summary>
    public (string? Key, string? Error) ToKey() => Kind switch
    {
        YamlScalarKind.String => (Text, null),
        YamlScalarKind.Int => (Int.ToString(CultureInfo.InvariantCulture), null),
        YamlScalarKind.Bool => (Int != 0 ? "true" : "false", null),
        YamlScalarKind.Float => (GoFloat32(Float), null),
        YamlScalarKind.Null => (null, $"a mapping key that is null (\"{Text}\") cannot become a JSON field name; quote it to use it as a string"),
        _ => (null, $"the mapping key {Text} is beyond the signed 64-bit range kubectl accepts for keys; quote it to use it as a string"),
    };

    /// <summary>
    /// Resolves a scalar with its tag (null or empty for none) and whether it was written plain without a tag (only
    /// such scalars, and tagged ones, are resolved; the non-specific tag <c>!</c> makes a plain scalar a string).
    /// </summary>
    /// <returns>The scalar, or an error when an explicit tag does not fit the text.</returns>
    public static (YamlScalar Scalar, string? Error) Resolve(string text, string? tag, bool plain)
    {
        var shortTag = tag is null || tag.Length == 0 || tag == "?" ? "" : tag.StartsWith(TagPrefix, StringComparison.Ordinal) ? "!!" + tag[TagPrefix.Length..] : tag;
        if (shortTag.Length == 0 && !plain)
        {
            return (new YamlScalar(YamlScalarKind.String, text), null);
        }

        switch (shortTag)
        {
            case "!!str":
                return (new YamlScalar(YamlScalarKind.String, text), null);
            case "!!binary":
                return DecodeBinary(text);
            case "" or "!!bool" or "!!int" or "!!float" or "!!null" or "!!timestamp":
                break;
            default:
                return (new YamlScalar(YamlScalarKind.String, text), null);
        }

        var resolved = ResolvePlain(text);
        var wanted = shortTag switch
        {
            "!!bool" => YamlScalarKind.Bool,
            "!!int" => YamlScalarKind.Int,
            "!!float" => YamlScalarKind.Float,
            "!!null" => YamlScalarKind.Null,
            _ => (YamlScalarKind?)null,
        };
        if (shortTag == "!!timestamp" || wanted is null || wanted == resolved.Kind || (wanted == YamlScalarKind.Int && resolved.Kind == YamlScalarKind.UInt))
        {
            return (shortTag == "!!timestamp" ? new YamlScalar(YamlScalarKind.String, text) : resolved, null);
        }

        if (wanted == YamlScalarKind.Float && resolved.Kind == YamlScalarKind.Int)
        {
            return (resolved with { Kind = YamlScalarKind.Float, Float = resolved.Int }, null);
        }

        return (resolved, $"cannot read \"{text}\" as a {shortTag}: it is a {Describe(resolved.Kind)}");
    }

    /// <summary>Whether <paramref name="text"/>, written as a plain (unquoted) scalar, reads back as the same string.</summary>
    public static bool ReadsAsString(string text) => text != "<<" && ResolvePlain(text) is { Kind: YamlScalarKind.String };

    private static YamlScalar ResolvePlain(string text)
    {
        switch (text)
        {
            case "" or "~" or "null" or "Null" or "NULL":
                return new YamlScalar(YamlScalarKind.Null, text);
            case "y" or "Y" or "yes" or "Yes" or "YES" or "true" or "True" or "TRUE" or "on" or "On" or "ON":
                return new YamlScalar(YamlScalarKind.Bool, text, Int: 1);
            case "n" or "N" or "no" or "No" or "NO" or "false" or "False" or "FALSE" or "off" or "Off" or "OFF":
                return new YamlScalar(YamlScalarKind.Bool, text, Int: 0);
            case ".nan" or ".NaN" or ".NAN":
                return new YamlScalar(YamlScalarKind.Float, text, Float: double.NaN);
            case ".inf" or ".Inf" or ".INF" or "+.inf" or "+.Inf" or "+.INF":
                return new YamlScalar(YamlScalarKind.Float, text, Float: double.PositiveInfinity);
            case "-.inf" or "-.Inf" or "-.INF":
                return new YamlScalar(YamlScalarKind.Float, text, Float: double.NegativeInfinity);
        }

        var first = text[0];
        if (first == '.')
        {
            // go-yaml hands these to strconv.ParseFloat as they are, which allows an underscore between two digits.
            var digits = DigitSeparatorsOk(text) ? text.Replace("_", "", StringComparison.Ordinal) : text;
            return IsDecimalFloat(digits) && TryFloat(digits, out var f) ? new YamlScalar(YamlScalarKind.Float, text, Float: f) : String(text);
        }

        if (!(char.IsAsciiDigit(first) || first is '+' or '-'))
        {
            return String(text);
        }

        var plain = text.Replace("_", "", StringComparison.Ordinal);
        if (GoNumbers.TryParseInt(plain, out var i))
        {
            return new YamlScalar(YamlScalarKind.Int, text, Int: i);
        }

        if (GoNumbers.TryParseUInt(plain, out var u))
        {
            return new YamlScalar(YamlScalarKind.UInt, text, UInt: u);
        }

        return IsDecimalFloat(plain) && TryFloat(plain, out var d) ? new YamlScalar(YamlScalarKind.Float, text, Float: d) : String(text);
    }

    private static YamlScalar String(string text) => new(YamlScalarKind.String, text);

    /// <summary>go-yaml's <c>^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$</c>.</summary>
    private static bool IsDecimalFloat(string s)
    {
        var i = s.Length > 0 && s[0] is '+' or '-' ? 1 : 0;
        var intDigits = Digits(s, ref i);
        var fracDigits = 0;
        if (i < s.Length && s[i] == '.')
        {
            i++;
            fracDigits = Digits(s, ref i);
            if (intDigits == 0 && fracDigits == 0)
            {
                return false;
            }
        }
        else if (intDigits == 0)
        {
            return false;
        }

        if (i < s.Length && s[i] is 'e' or 'E')
        {
            i++;
            if (i < s.Length && s[i] is '+' or '-')
            {
                i++;
            }

            if (Digits(s, ref i) == 0)
            {
                return false;
            }
        }

        return i == s.Length;
    }

    /// <summary>Go's <c>underscoreOK</c> for a decimal number: every underscore stands between two digits.</summary>
    private static bool DigitSeparatorsOk(string s)
    {
        for (var i = 0; i < s.Length; i++)
        {
            if (s[i] == '_' && (i == 0 || i == s.Length - 1 || !char.IsAsciiDigit(s[i - 1]) || !char.IsAsciiDigit(s[i + 1])))
            {
                return false;
            }
        }

        return true;
    }

    private static int Digits(string s, ref int i)
    {
        var start = i;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
        }

        return i - start;
    }

    /// <summary>Parses a decimal float; false when it overflows (Go's ParseFloat then fails with ErrRange).</summary>
    private static bool TryFloat(string s, out double value) =>
        double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    private static (YamlScalar, string?) DecodeBinary(string text)
    {
        var compact = new StringBuilder(text.Length);
        foreach (var c in text)
        {
            if (!char.IsWhiteSpace(c))
            {
                compact.Append(c);
            }
        }

        try
        {
            return (new YamlScalar(YamlScalarKind.String, Encoding.UTF8.GetString(Convert.FromBase64String(compact.ToString()))), null);
        }
        catch (FormatException)
        {
            return (String(text), "a !!binary value must be base64");
        }
    }

    private static string Describe(YamlScalarKind kind) => kind switch
    {
        YamlScalarKind.Null => "null",
        YamlScalarKind.Bool => "boolean",
        YamlScalarKind.Int or YamlScalarKind.UInt => "integer",
        YamlScalarKind.Float => "float",
        _ => "string",
    };

    /// <summary>Go's <c>strconv.FormatFloat(v, 'g', -1, 32)</c>, with go-yaml's names for infinities and NaN.</summary>
    private static string GoFloat32(double v)
    {
        if (double.IsNaN(v))
        {
            return ".nan";
        }

        if (double.IsInfinity(v) || float.IsInfinity((float)v))
        {
            return v > 0 ? ".inf" : "-.inf";
        }

        var f = (float)v;
        if (f == 0)
        {
            return float.IsNegative(f) ? "-0" : "0";
        }

        // Shortest round-trip digits of the single-precision value, and the decimal exponent of the first digit.
        var text = f.ToString("R", CultureInfo.InvariantCulture);
        var negative = text.StartsWith('-');
        text = text.TrimStart('-');
        var ePos = text.IndexOf('E', StringComparison.Ordinal);
        var mantissa = ePos < 0 ? text : text[..ePos];
        var dot = mantissa.IndexOf('.', StringComparison.Ordinal);
        var all = mantissa.Replace(".", "", StringComparison.Ordinal);
        var significant = all.TrimStart('0');
        var exp = (ePos < 0 ? 0 : int.Parse(text[(ePos + 1)..], CultureInfo.InvariantCulture)) + (dot < 0 ? mantissa.Length : dot) - 1 - (all.Length - significant.Length);
        var d = significant.TrimEnd('0');

        var sign = negative ? "-" : "";
        if (exp < -4 || exp >= 6)
        {
            var frac = d.Length > 1 ? "." + d[1..] : "";
            return $"{sign}{d[0]}{frac}e{(exp < 0 ? '-' : '+')}{Math.Abs(exp):00}";
        }

        if (exp < 0)
        {
            return $"{sign}0.{new string('0', -exp - 1)}{d}";
        }

        return d.Length <= exp + 1 ? $"{sign}{d}{new string('0', exp + 1 - d.Length)}" : $"{sign}{d[..(exp + 1)]}.{d[(exp + 1)..]}";
    }
}
