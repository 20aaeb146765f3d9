using System.Text;
using System.Text.Json.Nodes;

namespace SandboxOperator.Testing.KubeApi;

/// <summary>
/// <c>limit</c>/<c>continue</c> paging over a list ordered by namespace and name. The continue token encodes the
/// last key returned. Caveat: later pages read the current state, not a snapshot of the first page's version.
/// </summary>
internal sealed record ListPage(IReadOnlyList<JsonObject> Items, string? Continue, long Remaining)
{
    public static Outcome<ListPage> Select(IReadOnlyList<JsonObject> ordered, string? limitText, string? continueToken)
    {
        IEnumerable<JsonObject> items = ordered;
        if (!string.IsNullOrEmpty(continueToken))
        {
            string after;
            try
            {
                after = Encoding.UTF8.GetString(Convert.FromBase64String(continueToken));
            }
            catch (FormatException)
            {
                return ApiError.BadRequest("continue key is not valid: illegal base64 data");
            }

            items = items.Where(o => string.CompareOrdinal(Key(o), after) > 0);
        }

        var remaining = items.ToList();
        if (string.IsNullOrEmpty(limitText))
        {
            return new ListPage(remaining, null, 0);
        }

        if (!int.TryParse(limitText, out var limit) || limit < 0)
        {
            return ApiError.BadRequest($"limit: Invalid value: \"{limitText}\"");
        }

        if (limit == 0 || remaining.Count <= limit)
        {
            return new ListPage(remaining, null, 0);
        }

        var page = remaining.Take(limit).ToList();
        return new ListPage(page, Convert.ToBase64String(Encoding.UTF8.GetBytes(Key(page[^1]))), remaining.Count - limit);
    }

    private static string Key(JsonObject o) => $"{ObjectMetadata.Namespace(o)}\u0000{ObjectMetadata.Name(o)}";
}
