namespace HealthRecord.Sdk.Tests.Security;

/// <summary>
/// An oracle of the sensitive categories of a diagnosis, written for the tests independently of the SDK's value sets:
/// ICD-10-CM and ICD-9-CM ranges as the CDC/NCHS tabular lists publish them, and keyword rules on the display text.
/// Categories are the DS4P sensitivity codes ETH (substance use), PSY (mental health), HIV, STD, SDV (violence),
/// SEX (sexual and reproductive health) and GDIS (genetic disease).
/// </summary>
internal static class SensitivityOracle
{
    public static readonly string[] Categories = ["ETH", "PSY", "HIV", "STD", "SDV", "SEX", "GDIS"];

    private static readonly (string Category, string[] Words)[] Keywords =
    [
        ("PSY", ["depress", "anxiety", "panic", "schizo", "bipolar", "psychos", "psychotic", "attention deficit", "adhd", "dementia",
            "posttraumatic", "post-traumatic", "autis", "anorexia nervosa", "bulimi", "hypochondria", "obsessive-compulsive"]),
        ("ETH", ["alcoholism", "alcohol abuse", "alcohol dependence", "alcohol use disorder", "unhealthy alcohol", "opioid abuse", "opioid dependence",
            "drug abuse", "misuses drugs", "substance abuse", "cocaine", "cannabis"]),
        ("HIV", ["hiv", "human immunodeficiency virus", "acquired immune deficiency"]),
        ("STD", ["syphilis", "gonorrh", "chlamydia", "genital herpes", "trichomon"]),
        ("SDV", ["partner abuse", "child abuse", "elder abuse", "sexual assault", "domestic violence", "violence", "maltreatment"]),
        ("SEX", ["miscarriage", "abortion", "ectopic", "tubal pregnancy", "contracept", "tubal ligation", "sterilization", "vasectomy", "infertil"]),
        ("GDIS", ["trisomy", "down syndrome", "chromosom", "turner syndrome", "klinefelter"]),
    ];

    /// <summary>The categories the display text names.</summary>
    public static IEnumerable<string> FromText(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            yield break;
        }

        var t = text.ToLowerInvariant();
        foreach (var (category, words) in Keywords)
        {
            if (words.Any(w => w == "hiv" ? System.Text.RegularExpressions.Regex.IsMatch(t, @"\bhiv\b") : t.Contains(w, StringComparison.Ordinal)))
            {
                yield return category;
            }
        }
    }

    /// <summary>The category of an ICD-10-CM code by its chapter/category range, or null.</summary>
    public static string? FromIcd10(string code)
    {
        var c = code.Replace(".", "", StringComparison.Ordinal).Trim().ToUpperInvariant();
        if (c.Length < 3 || !char.IsLetter(c[0]) || !char.IsDigit(c[1]) || !char.IsAsciiLetterOrDigit(c[2]))
        {
            return null;
        }

        var letter = c[0];
        var n = char.IsDigit(c[2]) ? ((c[1] - '0') * 10) + (c[2] - '0') : -1;
        bool Starts(params string[] p) => p.Any(x => c.StartsWith(x, StringComparison.Ordinal));
        bool Between(char l, int from, int to) => letter == l && n >= from && n <= to;
        if (Between('F', 10, 16) || Between('F', 18, 19) || Starts("Z714", "Z715"))
        {
            return "ETH";
        }

        if (Between('F', 1, 9) || Between('F', 20, 99))
        {
            return "PSY";
        }

        if (Starts("B20", "Z21", "R75", "Z717", "Z114", "O987", "B9735", "Z206"))
        {
            return "HIV";
        }

        if (Between('A', 50, 64) || Starts("Z113", "Z202"))
        {
            return "STD";
        }

        if (Starts("T74", "T76", "Y07", "Z044", "Z047", "Z69", "Z6281", "Z9141"))
        {
            return "SDV";
        }

        if (Between('O', 0, 8) || Starts("Z30", "Z31", "Z332", "Z975", "Z9851", "Z9852"))
        {
            return "SEX";
        }

        if (Between('Q', 90, 99) || Starts("Z14", "Z15", "Z137"))
        {
            return "GDIS";
        }

        return null;
    }

    /// <summary>The category of an ICD-9-CM diagnosis code by its range, or null.</summary>
    public static string? FromIcd9(string code)
    {
        var raw = code.Trim().ToUpperInvariant();
        var dot = raw.IndexOf('.', StringComparison.Ordinal);
        var head = dot < 0 ? raw : raw[..dot];
        var tail = dot < 0 ? "" : raw[(dot + 1)..];
        if (head.StartsWith('V') || head.StartsWith('E'))
        {
            var v = head + "." + tail;
            return v switch
            {
                _ when v.StartsWith("V08", StringComparison.Ordinal) => "HIV",
                _ when v.StartsWith("V02.7", StringComparison.Ordinal) => "STD",
                _ when v.StartsWith("V61.1", StringComparison.Ordinal) || v.StartsWith("E967", StringComparison.Ordinal) => "SDV",
                _ when v.StartsWith("V25", StringComparison.Ordinal) || v.StartsWith("V26", StringComparison.Ordinal) || v.StartsWith("V45.5", StringComparison.Ordinal) => "SEX",
                _ when v.StartsWith("V83", StringComparison.Ordinal) => "GDIS",
                _ => null,
            };
        }

        if (!int.TryParse(head, out var n))
        {
            return null;
        }

        var sub = tail.Length > 0 ? tail[0] - '0' : -1;
        return n switch
        {
            291 or 292 or 303 or 304 => "ETH",
            305 when sub != 1 => "ETH",
            290 or (>= 293 and <= 302) or (>= 306 and <= 319) => "PSY",
            42 => "HIV",
            79 when tail.StartsWith("53", StringComparison.Ordinal) => "HIV",
            795 when tail.StartsWith("71", StringComparison.Ordinal) => "HIV",
            >= 90 and <= 99 => "STD",
            54 when sub == 1 => "STD",
            995 when sub is 5 or 8 => "SDV",
            >= 630 and <= 639 => "SEX",
            758 => "GDIS",
            _ => null,
        };
    }
}
