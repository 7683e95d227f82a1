using CsCheck;
using HealthRecord.Sdk.Fhir;
using Hl7.Fhir.Model;

namespace HealthRecord.Sdk.Tests.Fhir;

/// <summary>The fast date reader must agree with Firely's <see cref="FhirDateTime"/> on every input.</summary>
public sealed class FhirDateTextTests
{
    private static readonly Gen<string> Dates =
        from year in Gen.OneOf(Gen.Int[0, 2100], Gen.Const(9999), Gen.Const(1))
        from month in Gen.Int[0, 13]
        from day in Gen.Int[0, 32]
        from hour in Gen.Int[0, 24]
        from minute in Gen.Int[0, 60]
        from second in Gen.Int[0, 61]
        from fraction in Gen.OneOf(Gen.Const(""), Gen.Const("."), Gen.Int[0, 999999999].Select(f => "." + f.ToString(System.Globalization.CultureInfo.InvariantCulture)))
        from zone in Gen.OneOf<string>("", "Z", "+00:00", "-05:00", "+14:00", "+15:00", "-03:30", "+5:00", "z", "+05")
        from shape in Gen.Int[0, 5]
        select shape switch
        {
            0 => $"{year:D4}",
            1 => $"{year:D4}-{month:D2}",
            2 => $"{year:D4}-{month:D2}-{day:D2}",
            3 => $"{year:D4}-{month:D2}-{day:D2}T{hour:D2}:{minute:D2}:{second:D2}{fraction}{zone}",
            4 => $"{year:D4}-{month:D2}-{day:D2}T{hour:D2}:{minute:D2}{zone}",
            _ => $"{year}-{month}-{day}",
        };

    [Fact]
    public void AgreesWithFirely_OnGeneratedValues() =>
        Dates.Sample(value => Assert.Equal(Firely(value), Fast(value)), iter: 20_000);

    [Theory]
    [InlineData("2019-03-04", "2019-03-04T00:00:00+00:00")]
    [InlineData("2019-03", "2019-03-01T00:00:00+00:00")]
    [InlineData("2019", "2019-01-01T00:00:00+00:00")]
    [InlineData("2019-03-04T10:11:12-05:00", "2019-03-04T15:11:12+00:00")]
    [InlineData("2019-03-04T10:11:12.1234567891Z", "2019-03-04T10:11:12.1234568+00:00")] // Firely rounds sub-tick digits
    public void ReadsTheFirstInstant_InUtc(string value, string expected)
    {
        Assert.True(FhirDateText.TryParse(value, out var start));
        Assert.Equal(DateTimeOffset.Parse(expected, System.Globalization.CultureInfo.InvariantCulture), start);
        Assert.Equal(TimeSpan.Zero, start.Offset);
    }

    [Theory]
    [InlineData("")]
    [InlineData("  ")]
    [InlineData("2019-02-30")]
    [InlineData("2019-13")]
    [InlineData("yesterday")]
    [InlineData("2019-03-04T25:00:00Z")]
    [InlineData("2019-03-04T10:11:12")] // a time needs an offset in FHIR R4
    public void RejectsWhatIsNotADate(string value) => Assert.False(FhirDateText.TryParse(value, out _));

    [Fact]
    public void InstantValue_AgreesWithFirely_OnGeneratedValues() =>
        Dates.Sample(value => Assert.Equal(Outcome(() => new Instant { JsonValue = value }.Value), Outcome(() => FhirDateText.InstantValue(new Instant { JsonValue = value }))), iter: 20_000);

    [Theory]
    [InlineData("2019-03-04T10:11:12-05:00")]
    [InlineData("2019-03-04T10:11:12.123+14:00")]
    [InlineData("2019-03-04T10:11:12Z")]
    public void InstantValue_KeepsTheWrittenOffset(string value)
    {
        var instant = new Instant { JsonValue = value };
        Assert.Equal(instant.Value, FhirDateText.InstantValue(instant));
        Assert.Equal(instant.Value!.Value.Offset, FhirDateText.InstantValue(instant)!.Value.Offset);
    }

    [Fact]
    public void InstantValue_OfNothing_IsNull()
    {
        Assert.Null(FhirDateText.InstantValue(null));
        Assert.Null(FhirDateText.InstantValue(new Instant()));
    }

    // The value with its offset, or the exception's type: the fast path must fail where Firely fails.
    private static string Outcome(Func<DateTimeOffset?> read)
    {
        try
        {
            return read() is { } v ? v.ToString("O", System.Globalization.CultureInfo.InvariantCulture) : "null";
        }
        catch (Exception ex)
        {
            return ex.GetType().Name;
        }
    }

    private static DateTimeOffset? Fast(string value) => FhirDateText.TryParse(value, out var start) ? start : null;

    private static DateTimeOffset? Firely(string value) =>
        FhirDateTime.IsValidValue(value) && new FhirDateTime(value).TryToDateTimeOffset(TimeSpan.Zero, out var start) ? start.ToUniversalTime() : null;
}
