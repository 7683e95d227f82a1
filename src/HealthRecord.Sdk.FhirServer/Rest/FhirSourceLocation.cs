using System.Globalization;
using System.Web;

namespace HealthRecord.Sdk.FhirServer.Rest;

/// <summary>What a source location asks for.</summary>
internal enum FhirReadKind
{
    /// <summary>One patient: <c>BASE?patient=ID</c> or <c>BASE/Patient/ID</c>.</summary>
    Patient,

    /// <summary>Bulk Data of the whole system: <c>BASE/$export</c>.</summary>
    SystemExport,

    /// <summary>Bulk Data of all patients: <c>BASE/Patient/$export</c>.</summary>
    PatientExport,

    /// <summary>Bulk Data of a group: <c>BASE/Group/ID/$export</c>.</summary>
    GroupExport,
}

/// <summary>A FHIR server source location, parsed: the base URL and what to read.</summary>
internal sealed record FhirSourceLocation(Uri BaseAddress, FhirReadKind Kind, string? PatientId, string? GroupId, IReadOnlyList<string> Types, DateTimeOffset? Since)
{
    public bool IsBulk => Kind != FhirReadKind.Patient;

    public static bool TryParse(string location, out FhirSourceLocation? parsed, out string? error)
    {
        parsed = null;
        error = null;
        if (!Uri.TryCreate(location, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            error = "The location is not an absolute http(s) URL.";
            return false;
        }

        var query = HttpUtility.ParseQueryString(uri.Query);
        var types = (query["_type"] ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        DateTimeOffset? since = null;
        if (query["_since"] is { } s)
        {
            if (!DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t))
            {
                error = $"_since '{s}' is not a FHIR instant (e.g. 2024-01-01T00:00:00Z).";
                return false;
            }

            since = t;
        }

        var path = Uri.UnescapeDataString(uri.AbsolutePath).TrimEnd('/');
        var segments = path.Split('/');
        var origin = uri.GetLeftPart(UriPartial.Authority);
        Uri Base(int dropSegments) => new(origin + string.Join('/', segments[..^dropSegments]));

        if (segments[^1] == "$export")
        {
            if (segments.Length >= 3 && segments[^2] == "Patient")
            {
                parsed = new(Base(2), FhirReadKind.PatientExport, null, null, types, since);
            }
            else if (segments.Length >= 4 && segments[^3] == "Group")
            {
                parsed = new(Base(3), FhirReadKind.GroupExport, null, segments[^2], types, since);
            }
            else
            {
                parsed = new(Base(1), FhirReadKind.SystemExport, null, null, types, since);
            }

            return true;
        }

        if (query["patient"] is { Length: > 0 } patient)
        {
            parsed = new(new Uri(origin + path), FhirReadKind.Patient, patient.StartsWith("Patient/", StringComparison.Ordinal) ? patient[8..] : patient, null, types, since);
            return true;
        }

        if (segments.Length >= 3 && segments[^2] == "Patient" && !segments[^1].StartsWith('$'))
        {
            parsed = new(Base(2), FhirReadKind.Patient, segments[^1], null, types, since);
            return true;
        }

        error = "Name what to read: BASE?patient=ID (one patient), BASE/$export, BASE/Patient/$export or BASE/Group/ID/$export (Bulk Data).";
        return false;
    }
}
