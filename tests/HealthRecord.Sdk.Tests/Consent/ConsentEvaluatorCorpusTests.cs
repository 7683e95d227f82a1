using System.Text.RegularExpressions;
using HealthRecord.Sdk.Consent;
using HealthRecord.Sdk.Fhir;
using HealthRecord.Sdk.Security;
using HealthRecord.Sdk.TestSupport;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using FhirConsent = Hl7.Fhir.Model.Consent;
using Task = System.Threading.Tasks.Task;

namespace HealthRecord.Sdk.Tests.Consent;

/// <summary>
/// Third-party consent material: the LEAP consent decision service fixtures with the outcomes its tests assert
/// (corpus consent/leap-cds-expected.csv), and the FHIR R4 consent examples (committed fixtures).
/// </summary>
public partial class ConsentEvaluatorCorpusTests
{
    private const string OrgGoodHealth = "urn:ietf:rfc:3986|2.16.840.1.113883.20.5";
    private const string Unknown = "test-system|test-value";
    private const string Processor = "test/lib/consent-processor-r4.test.js";
    private const string Hook = "test/controllers/patient-consent-consult.test.js";
    private const string Xacml = "test/controllers/xacml.test.js";

    // Inside every leap consent period except the expired ones (2023-03-01..2025-06-01 included), as the CSV notes require.
    private static readonly DateTimeOffset LeapNow = new(2024, 6, 1, 12, 0, 0, TimeSpan.Zero);

    public static TheoryData<string, string, string, string, string, string> LeapCases => new()
    {
        // case name, test file, consent fixture ("" = none), purposes, actor identifiers, requested class
        { "active optin consent", Processor, "consent-boris-optin", "TREAT", Unknown, "" },
        { "active optin consent with no scope in query", Processor, "consent-boris-optin", "TREAT", Unknown, "" },
        { "active optin consent with scope stored in category[0]", Processor, "consent-boris-optin-with-scope-in-category", "TREAT", Unknown, "" },
        { "active but expired optin consent", Processor, "consent-boris-expired", "TREAT", Unknown, "" },
        { "active but not yet valid optin consent", Processor, "consent-boris-optin+start-in-48h", "TREAT", Unknown, "" },
        { "active optin consent with blacklisted recipient actor", Processor, "consent-boris-optin", "TREAT", OrgGoodHealth, "" },
        { "active optin consent with blacklisted recipient actor based on one of the multiple identifiers", Processor, "consent-boris-optin", "TREAT", OrgGoodHealth + ",some-other-system|some-other-value", "" },
        { "active optin consent with blacklisted recipient actor of type practitioner", Processor, "consent-boris-deny-practitioner", "TREAT", "http://www.acme.org/practitioners|5555", "" },
        { "active optin consent with blacklisted purpose of use", Processor, "consent-boris-optin+deny-hmarkt", "HMARKT", OrgGoodHealth, "" },
        { "active optin consent with security label provision", Processor, "consent-boris-deny-restricted-label", "TREAT", OrgGoodHealth, "" },
        { "active optin consent with multiple security label provision", Processor, "consent-boris-multiple-deny-labels", "TREAT", OrgGoodHealth, "" },
        { "active optin consent with array of security label provisions", Processor, "consent-boris-provision-array", "TREAT", OrgGoodHealth, "" },
        { "active optin consent with security label and content class provisions", Processor, "consent-boris-deny-restricted-content-class", "TREAT", OrgGoodHealth, "" },
        { "active optin consent with content class provisions and sec label with request including a class", Processor, "consent-boris-deny-restricted-content-class-and-sec-label", "TREAT", OrgGoodHealth, "Immunization" },
        { "active optin consent with content class provisions with request including a class", Processor, "consent-boris-deny-restricted-content-class-only", "TREAT", OrgGoodHealth, "MedicationStatement" },
        { "active optin consent with clinical code provisions", Processor, "consent-boris-deny-restricted-clinical-code", "TREAT", OrgGoodHealth, "" },
        { "active optin consent with array of provisions", Processor, "consent-boris-provision-array", "HMARKT", OrgGoodHealth, "" },
        { "active optin consent with purpose in root provision not matching the request purpose of use", Processor, "consent-boris-optin-with-pou-in-root-provision", "HMARKT", OrgGoodHealth, "" },
        { "active optin consent with purpose in root provision matching the request purpose of use", Processor, "consent-boris-optin-with-pou-in-root-provision", "ETREAT", OrgGoodHealth, "" },
        { "active optin consent with array of provisions matching some of the request purposes of use", Processor, "consent-boris-optin-with-pou-in-root-provision", "ETREAT,HMARKT", OrgGoodHealth, "" },
        { "no active optin consent", Processor, "consent-boris-inactive", "TREAT", Unknown, "" },
        { "active optin consent with different scope", Processor, "consent-boris-research", "TREAT", Unknown, "" },
        { "should return 200 and an array including a consent permit card with an OPTIN consent", Hook, "consent-boris-optin", "", Unknown, "" },
        { "should return 200 and an array including a consent deny card with an OPTIN consent and provision with a matching prohibited recipient", Hook, "consent-boris-optin", "", OrgGoodHealth, "" },
        { "should return 200 and an array including a consent deny card with an OPTOUT consent", Hook, "consent-boris-optout", "", Unknown, "" },
        { "should return 200 and an array including a consent permit card with obligations when a consent with security label provisions applies", Hook, "consent-boris-deny-restricted-label", "", OrgGoodHealth, "" },
        { "should return 200 and an array including a NO_CONSENT card when no consent exists", Hook, "", "", Unknown, "" },
        { "should return 200 and a permit card with an OPTIN consent", Xacml, "consent-boris-optin", "TREAT", Unknown, "" },
        { "should return 200 and a deny response with an OPTIN consent and provision with a matching prohibited recipient", Xacml, "consent-boris-optin", "TREAT", OrgGoodHealth, "" },
        { "should return 200 and a deny response with an OPTOUT consent", Xacml, "consent-boris-optout", "TREAT", Unknown, "" },
        { "should return 200 and a consent permit response with obligations when a consent with security label provisions applies", Xacml, "consent-boris-deny-restricted-label", "TREAT", OrgGoodHealth, "" },
        { "should return 200 and an array including a NO_CONSENT card when no consent exists", Xacml, "", "TREAT", Unknown, "" },
    };

    [CorpusTheory]
    [MemberData(nameof(LeapCases))]
    public void DecideAccess_LeapCdsCase_GivesTheExpectedDecisionAndObligations(string caseName, string testFile, string consentFixture, string purposes, string actors, string requestedClass)
    {
        var expected = LeapExpected().Single(r => r.Case == caseName && r.File == testFile);
        var consents = consentFixture.Length == 0 ? [] : new[] { LeapConsent(consentFixture) };
        var request = new AccessRequest
        {
            Recipient = new ConsentRecipient { Identifiers = [.. actors.Split(',').Select(a => new Identifier(a.Split('|')[0], a.Split('|')[1]))] },
            PurposeOfUse = [.. purposes.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(AccessRequest.Purpose)],
            RequestedClasses = requestedClass.Length == 0 ? [] : [new Coding("http://hl7.org/fhir/resource-types", requestedClass)],
            Directory = LeapDirectory(),
        };
        using var sp = TestEhr.Services(new FakeTimeProvider(LeapNow), o => o.Combining = ConsentCombining.MostRecent);

        var decision = sp.GetRequiredService<IConsentEvaluator>().DecideAccess(consents, request);

        Assert.Equal(expected.Decision, decision.Decision switch
        {
            ConsentDecision.Permit => "permit",
            ConsentDecision.Deny => "deny",
            _ => "no-consent",
        });
        if (expected.Obligations.StartsWith("not asserted", StringComparison.Ordinal))
        {
            return;
        }

        var actual = decision.Obligations.SelectMany(o => o.Codes ?? []).Select(c => $"{c.System}#{c.Code}").ToList();
        var wanted = ExpectedCodes(expected.Obligations);
        if (expected.Obligations.Contains("extra obligations tolerated", StringComparison.Ordinal))
        {
            Assert.Subset(actual.ToHashSet(), wanted.ToHashSet());
        }
        else
        {
            Assert.Equal(wanted.Order(), actual.Order());
        }
    }

    [CorpusFact]
    public void LeapExpected_EveryDecisionRow_IsCoveredByATestCase()
    {
        var covered = LeapCases.Select(row => ((string)row[0], (string)row[1])).ToHashSet();
        var decisionRows = LeapExpected().Where(r => r.Decision != "n/a").Select(r => (r.Case, r.File)).ToList();

        Assert.Equal(32, decisionRows.Count);
        Assert.All(decisionRows, r => Assert.Contains(r, covered));
    }

    private static FhirConsent LeapConsent(string fixture)
    {
        var parts = fixture.Split('+');
        var consent = ConsentDocuments.Parse(File.ReadAllText(Corpus.PathOf($"consent/leap-cds/consents/r4/{parts[0]}.json"))).Single();
        consent.Id = "1"; // as the upstream mock consent store serves it
        if (parts.Length > 1 && parts[1] == "start-in-48h")
        {
            consent.Provision!.Period!.Start = LeapNow.AddHours(48).ToString("yyyy-MM-ddTHH:mm:ssZ", System.Globalization.CultureInfo.InvariantCulture);
        }
        else if (parts.Length > 1 && parts[1] == "deny-hmarkt")
        {
            var sub = consent.Provision!.Provision[0];
            sub.Actor.Clear();
            sub.Purpose = [new Coding(SecurityLabelSystems.ActReason, "HMARKT")];
        }

        return consent;
    }

    internal static IReadOnlyList<Resource> LeapDirectory()
    {
        var bob = FhirJson.Parse<Practitioner>(File.ReadAllText(Corpus.PathOf("consent/leap-cds/practitioner/practitioner-dr-bob.json")));
        bob.Id = "001"; // the consents reference it as Practitioner/001
        return
        [
            FhirJson.Parse(File.ReadAllText(Corpus.PathOf("consent/leap-cds/organizations/org-good-health.json"))),
            FhirJson.Parse(File.ReadAllText(Corpus.PathOf("consent/leap-cds/organizations/org-hl7.json"))),
            bob,
        ];
    }

    private sealed record LeapRow(string Case, string File, string Decision, string Obligations);

    private static List<LeapRow> LeapExpected()
    {
        var rows = new List<LeapRow>();
        foreach (var fields in Csv(File.ReadAllText(Corpus.PathOf("consent/leap-cds-expected.csv"))).Skip(1))
        {
            rows.Add(new LeapRow(fields[0], fields[5], fields[3], fields[4]));
        }

        return rows;
    }

    private static List<string> ExpectedCodes(string text)
    {
        if (text.StartsWith("none", StringComparison.Ordinal) || text.Contains("Obligations []", StringComparison.Ordinal))
        {
            return [];
        }

        var open = text.LastIndexOf('[');
        var scope = open >= 0 ? text[(open + 1)..text.IndexOf(']', open)] : text;
        var codes = new List<string>();
        var last = "";
        foreach (Match m in CodePattern().Matches(scope))
        {
            var system = m.Groups[1].Value;
            system = system == "same system" ? last : system.StartsWith("v3-", StringComparison.Ordinal) ? "http://terminology.hl7.org/CodeSystem/" + system : system;
            last = system;
            codes.Add($"{system}#{m.Groups[2].Value}");
        }

        return codes;
    }

    [GeneratedRegex(@"(https?://[^\s#\[\],]+|v3-[A-Za-z]+|same system)#([A-Za-z0-9.\-]+)")]
    private static partial Regex CodePattern();

    private static List<string[]> Csv(string text)
    {
        var rows = new List<string[]>();
        var fields = new List<string>();
        var field = new System.Text.StringBuilder();
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (quoted)
            {
                if (c == '"' && i + 1 < text.Length && text[i + 1] == '"')
                {
                    field.Append('"');
                    i++;
                }
                else if (c == '"')
                {
                    quoted = false;
                }
                else
                {
                    field.Append(c);
                }
            }
            else if (c == '"')
            {
                quoted = true;
            }
            else if (c == ',')
            {
                fields.Add(field.ToString());
                field.Clear();
            }
            else if (c == '\n')
            {
                fields.Add(field.ToString().TrimEnd('\r'));
                field.Clear();
                rows.Add([.. fields]);
                fields.Clear();
            }
            else
            {
                field.Append(c);
            }
        }

        if (field.Length > 0 || fields.Count > 0)
        {
            fields.Add(field.ToString());
            rows.Add([.. fields]);
        }

        return rows;
    }
}
