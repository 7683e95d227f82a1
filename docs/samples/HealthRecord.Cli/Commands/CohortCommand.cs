using System.ComponentModel;
using System.Globalization;
using System.Text;
using HealthRecord.Cli.Infrastructure;
using HealthRecord.Sdk.Deidentification;
using Hl7.Fhir.Model;
using Spectre.Console;
using Spectre.Console.Cli;

namespace HealthRecord.Cli.Commands;

/// <summary><c>cohort</c>: the cohort summary real-world-data studies report, as a table and charts (SVG and PNG).</summary>
public sealed class CohortCommand(IAnsiConsole console) : AsyncCommand<CohortCommand.Settings>
{
    /// <summary>Settings.</summary>
    public sealed class Settings : CommandSettings
    {
        /// <summary>The store.</summary>
        [CommandOption("--store <STORE>")]
        [Description("The store: sqlite:FILE.")]
        public string? Store { get; set; }

        /// <summary>EHR bundles.</summary>
        [CommandOption("--ehr <PATH>")]
        [Description("Instead of a store: an EHR bundle, or a folder of them (one person each). Repeat for several.")]
        public string[] Ehr { get; set; } = [];

        /// <summary>Output folder.</summary>
        [CommandOption("--out <FOLDER>")]
        [Description("Where to write cohort.csv, cohort.md and the charts (years-of-data, providers-per-person; .svg and .png).")]
        public string Out { get; set; } = "";

        /// <inheritdoc />
        public override ValidationResult Validate() =>
            string.IsNullOrEmpty(Out) || (string.IsNullOrEmpty(Store) == (Ehr.Length == 0))
                ? ValidationResult.Error("Give --store sqlite:FILE (or --ehr PATH…) and --out cohort/.")
                : ValidationResult.Success();
    }

    /// <inheritdoc />
    public override async Task<int> ExecuteAsync(CommandContext context, Settings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(settings);
        await using var services = SdkHost.Build(settings.Store);
        var bundles = new List<Bundle>();
        if (settings.Ehr.Length > 0)
        {
            foreach (var path in settings.Ehr)
            {
                await foreach (var b in EhrInputs.ReadAsync(path, null, null, services, cancellationToken))
                {
                    bundles.Add(b);
                }
            }
        }
        else
        {
            await foreach (var b in EhrInputs.ReadAsync(null, settings.Store, null, services, cancellationToken))
            {
                bundles.Add(b);
            }
        }

        var summary = CohortSummary.Compute(bundles);
        Directory.CreateDirectory(settings.Out);
        var rows = Rows(summary);
        var table = new Table().Title("Cohort summary").AddColumns("figure", "value");
        foreach (var (figure, value) in rows)
        {
            table.AddRow(Markup.Escape(figure), Markup.Escape(value));
        }

        console.Write(table);
        var csv = new StringBuilder("figure,value\n");
        var md = new StringBuilder("| figure | value |\n| --- | --- |\n");
        foreach (var (figure, value) in rows)
        {
            csv.Append(CultureInfo.InvariantCulture, $"\"{figure}\",\"{value}\"\n");
            md.Append(CultureInfo.InvariantCulture, $"| {figure} | {value} |\n");
        }

        await File.WriteAllTextAsync(Path.Combine(settings.Out, "cohort.csv"), csv.ToString(), cancellationToken);
        await File.WriteAllTextAsync(Path.Combine(settings.Out, "cohort.md"), md.ToString(), cancellationToken);
        CohortCharts.Histogram(summary.Persons.Select(p => p.YearsOfData).ToList(), "Years of data per person", "years from first to last clinical date", Path.Combine(settings.Out, "years-of-data"));
        CohortCharts.Histogram(summary.Persons.Select(p => (double)p.Providers).ToList(), "Providers per person", "distinct source organisations", Path.Combine(settings.Out, "providers-per-person"));
        console.MarkupLineInterpolated($"Wrote {Path.Combine(settings.Out, "cohort.csv")}, cohort.md and the charts years-of-data and providers-per-person (.svg, .png).");
        return CliApp.Success;
    }

    internal static List<(string Figure, string Value)> Rows(CohortSummary s)
    {
        static string F(double v) => v.ToString("0.0", CultureInfo.InvariantCulture);
        static string D(CohortDistribution d) => $"median {F(d.Median)} (mean {F(d.Mean)}, range {F(d.Min)}–{F(d.Max)})";
        var rows = new List<(string, string)>
        {
            ("people", s.People.ToString(CultureInfo.InvariantCulture)),
            ("median age at first record (years)", s.MedianAgeAtFirstRecord is { } a ? F(a) : "n/a"),
        };
        foreach (var (sex, count) in s.PeopleBySex)
        {
            rows.Add(($"share {sex}", $"{(s.ShareOf(sex) * 100).ToString("0.0", CultureInfo.InvariantCulture)}% ({count})"));
        }

        rows.Add(("providers per person", D(s.ProvidersPerPerson)));
        rows.Add(("years of data per person", D(s.YearsOfDataPerPerson)));
        rows.Add(("visits per person", D(s.VisitsPerPerson)));
        return rows;
    }
}

/// <summary>The cohort charts, drawn with ScottPlot (PNG through SkiaSharp, SVG).</summary>
internal static class CohortCharts
{
    public static void Histogram(IReadOnlyList<double> values, string title, string xLabel, string pathWithoutExtension)
    {
        var plot = new ScottPlot.Plot();
        if (values.Count > 0)
        {
            var min = Math.Floor(values.Min());
            var max = Math.Max(min + 1, Math.Ceiling(values.Max()) + (values.Max() == Math.Ceiling(values.Max()) ? 1 : 0));
            var binSize = Math.Max(1, Math.Ceiling((max - min) / 15));
            var bins = (int)Math.Ceiling((max - min) / binSize);
            var counts = new double[bins];
            foreach (var v in values)
            {
                counts[Math.Min(bins - 1, (int)((v - min) / binSize))]++;
            }

            var bars = Enumerable.Range(0, bins).Select(i => new ScottPlot.Bar
            {
                Position = min + ((i + 0.5) * binSize),
                Value = counts[i],
                Size = binSize * 0.95,
            }).ToList();
            plot.Add.Bars(bars);
        }

        plot.Title(title);
        plot.XLabel(xLabel);
        plot.YLabel("people");
        plot.Axes.Margins(bottom: 0);
        plot.SavePng(pathWithoutExtension + ".png", 640, 400);
        plot.SaveSvg(pathWithoutExtension + ".svg", 640, 400);
    }
}
