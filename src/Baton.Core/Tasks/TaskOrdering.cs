namespace Baton.Core.Tasks;

/// <summary>
/// Symphony's dispatch order (§8.2): priority 1–4 ascending, every other value and none last; then the oldest
/// <c>created_at</c> first; then the identifier. Identifiers with the same prefix compare by number, so INT-9
/// comes before INT-10.
/// </summary>
public sealed class TaskOrdering : IComparer<TaskRecord>
{
    public static TaskOrdering Instance { get; } = new();

    public int Compare(TaskRecord? x, TaskRecord? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return 1;
        }

        if (y is null)
        {
            return -1;
        }

        var byPriority = Rank(x.Priority).CompareTo(Rank(y.Priority));
        if (byPriority != 0)
        {
            return byPriority;
        }

        var byCreated = x.CreatedAt.CompareTo(y.CreatedAt);
        return byCreated != 0 ? byCreated : CompareIdentifiers(x.Identifier, y.Identifier);
    }

    public static int CompareIdentifiers(string a, string b)
    {
        if (TaskIdentifier.TryParse(a, out var pa, out var na) && TaskIdentifier.TryParse(b, out var pb, out var nb) && pa == pb)
        {
            return na.CompareTo(nb);
        }

        return string.CompareOrdinal(a, b);
    }

    private static int Rank(int? priority) => priority is >= 1 and <= 4 ? priority.Value : 5;
}
