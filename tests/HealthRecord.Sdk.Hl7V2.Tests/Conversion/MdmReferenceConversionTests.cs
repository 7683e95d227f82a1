#nullable disable warnings
using System.Text;
using System.Xml;
using HealthRecord.Sdk.Hl7V2.Conversion;
using HealthRecord.Sdk.Hl7V2.Parsing;
using Hl7.Fhir.Model;
using Hl7.Fhir.Serialization;

namespace HealthRecord.Sdk.Hl7V2.Tests.Conversion;

/// <summary>
/// The MDM^T02 sample of HL7's v2-to-FHIR project compared field by field with the FHIR conversion published beside it
/// (FHIR XML). Where this adapter deliberately differs, the test asserts its own value and says why.
/// </summary>
public class MdmReferenceConversionTests
{
    private static readonly Hl7V2ConversionResult Ours = Assert.Single(Hl7V2Converter.Convert(Hl7V2Parser.Parse(Fixtures.Bytes("v2-to-fhir/Message_MDM_T02.hl7"))));

    private static readonly Bundle Reference = ReadReference();

    private static Bundle ReadReference()
    {
        using var reader = XmlReader.Create(Fixtures.Path("v2-to-fhir/FHIR_bundle.hl7_MDM_T02.xml"));
        // The published reference is not valid FHIR itself (a Provenance without agent, "urn:uuid:1.1.1.1",
        // "urn:oid:8.7.6.5.4"), so it is read leniently.
        new FhirXmlDeserializer(new DeserializerSettings().UsingMode(DeserializationMode.Recoverable)).TryDeserializeResource(reader, out var resource, out _);
        return Assert.IsType<Bundle>(resource);
    }

    private static T Theirs<T>() where T : Resource => Assert.Single(Reference.Entry.Select(e => e.Resource).OfType<T>());

    private static T Mine<T>() where T : Resource => Assert.Single(Ours.Resources.OfType<T>());

    private static Resource ResolveTheirs(ResourceReference reference) =>
        Reference.Entry.Select(e => e.Resource).Single(r => r.TypeName + "/" + r.Id == reference.Reference);

    private static Practitioner TheirPractitioner(ResourceReference reference) => ResolveTheirs(reference) switch
    {
        Practitioner p => p,
        PractitionerRole role => (Practitioner)ResolveTheirs(role.Practitioner),
        var other => throw new InvalidOperationException(other.TypeName),
    };

    private static Practitioner MyPractitioner(ResourceReference reference) =>
        Ours.Resources.OfType<Practitioner>().Single(p => "Practitioner/" + p.Id == reference.Reference);

    [Fact]
    public void Patient_MatchesReferenceFieldByField()
    {
        var theirs = Theirs<Patient>();
        var mine = Mine<Patient>();

        Assert.Equal(theirs.Identifier[0].Value, mine.Identifier[0].Value);
        Assert.Equal(theirs.Identifier[0].Type.Coding[0].Code, mine.Identifier[0].Type.Coding[0].Code);
        Assert.Equal(theirs.Name[0].Use, mine.Name[0].Use);
        Assert.Equal(theirs.Name[0].Family, mine.Name[0].Family);
        Assert.Equal(theirs.Name[0].Given, mine.Name[0].Given);
        Assert.Equal(theirs.Name[0].Suffix, mine.Name[0].Suffix);
        Assert.Equal(theirs.Gender, mine.Gender);
        Assert.Equal(theirs.BirthDate, mine.BirthDate);
        Assert.Equal(theirs.Address[0].Line, mine.Address[0].Line);
        Assert.Equal(theirs.Address[0].City, mine.Address[0].City);
        Assert.Equal(theirs.Address[0].State, mine.Address[0].State);
        Assert.Equal(theirs.Address[0].PostalCode, mine.Address[0].PostalCode);
        Assert.Equal(theirs.Address[0].Country, mine.Address[0].Country);

        // The reference writes the GUID-typed authority "1.1.1.1" as urn:uuid:1.1.1.1, which is not a UUID;
        // it is an OID, and this adapter writes it as one.
        Assert.Equal("urn:uuid:1.1.1.1", theirs.Identifier[0].System);
        Assert.Equal("urn:oid:1.1.1.1", mine.Identifier[0].System);
    }

    [Fact]
    public void Encounter_MatchesReferenceFieldByField()
    {
        var theirs = Theirs<Encounter>();
        var mine = Mine<Encounter>();

        Assert.Equal(theirs.Identifier[0].Value, mine.Identifier[0].Value);
        Assert.Equal(theirs.Identifier[0].Type.Coding[0].Code, mine.Identifier[0].Type.Coding[0].Code);
        Assert.Equal(theirs.Status, mine.Status);
        Assert.Equal(theirs.Period.Start, mine.Period.Start);
        Assert.Equal("Patient/" + Mine<Patient>().Id, mine.Subject.Reference);

        // Class: the reference keeps the v2 code (table 0004 "I"); this adapter maps it to the v3 ActCode the
        // Encounter.class binding asks for (I -> IMP).
        Assert.Equal(("http://terminology.hl7.org/CodeSystem/v2-0004", "I"), (theirs.Class.System, theirs.Class.Code));
        Assert.Equal(("http://terminology.hl7.org/CodeSystem/v3-ActCode", "IMP"), (mine.Class.System, mine.Class.Code));

        var theirAttender = TheirPractitioner(theirs.Participant.Single().Individual);
        var myParticipant = Assert.Single(mine.Participant);
        Assert.Equal(theirs.Participant[0].Type[0].Coding[0].Code, myParticipant.Type[0].Coding[0].Code);
        var myAttender = MyPractitioner(myParticipant.Individual);
        Assert.Equal(theirAttender.Identifier[0].Value, myAttender.Identifier[0].Value);
        Assert.Equal(theirAttender.Name[0].Family, myAttender.Name[0].Family);
        Assert.Equal(theirAttender.Name[0].Given, myAttender.Name[0].Given);
    }

    [Fact]
    public void DocumentReference_MatchesReferenceFieldByField()
    {
        var theirs = Theirs<DocumentReference>();
        var mine = Mine<DocumentReference>();

        Assert.Equal(theirs.MasterIdentifier.Value, mine.MasterIdentifier.Value);
        Assert.Equal(theirs.Identifier[0].Value, mine.Identifier[0].Value);
        Assert.Equal(theirs.Status, mine.Status);
        Assert.Equal(theirs.Type.Coding[0].System, mine.Type.Coding[0].System);
        Assert.Equal(theirs.Type.Coding[0].Code, mine.Type.Coding[0].Code);
        Assert.Equal(theirs.Description, mine.Description);
        Assert.Equal(theirs.SecurityLabel[0].Coding[0].Code, mine.SecurityLabel[0].Coding[0].Code);
        Assert.Equal(theirs.SecurityLabel[0].Coding[0].System, mine.SecurityLabel[0].Coding[0].System);
        Assert.Equal(theirs.Context.Period.Start, mine.Context.Period.Start);
        Assert.Equal("Patient/" + Mine<Patient>().Id, mine.Subject.Reference);

        // Author (TXA-9) and authenticator (TXA-10): the same people, whether reached through a PractitionerRole or not.
        var theirAuthor = TheirPractitioner(theirs.Author.First(a => a.Reference.StartsWith("PractitionerRole/", StringComparison.Ordinal)));
        Assert.Equal(theirAuthor.Identifier[0].Value, MyPractitioner(Assert.Single(mine.Author)).Identifier[0].Value);
        Assert.Equal(TheirPractitioner(theirs.Authenticator).Identifier[0].Value, MyPractitioner(mine.Authenticator).Identifier[0].Value);
        Assert.Equal(TheirPractitioner(theirs.Context.Related[0]).Identifier[0].Value, MyPractitioner(mine.Context.Related[0]).Identifier[0].Value);

        // docStatus: TXA-17 is AU (authenticated). The reference says preliminary; an authenticated document is final.
        Assert.Equal(CompositionStatus.Preliminary, theirs.DocStatus);
        Assert.Equal(CompositionStatus.Final, mine.DocStatus);

        // Content: one attachment per OBX, same order, titles and media types.
        Assert.Equal(theirs.Content.Count, mine.Content.Count);
        for (var i = 0; i < theirs.Content.Count; i++)
        {
            var t = theirs.Content[i].Attachment;
            var m = mine.Content[i].Attachment;
            Assert.Equal(t.Title, m.Title);
            Assert.Equal(t.ContentType, m.ContentType, ignoreCase: true);
        }

        // Plain-text content is byte-identical.
        Assert.Equal(theirs.Content[0].Attachment.Data, mine.Content[0].Attachment.Data);
        Assert.Equal(theirs.Content[2].Attachment.Data, mine.Content[2].Attachment.Data);

        // Formatted text (text/x-hl7-ft) keeps its HL7 formatting commands; the reference replaced \.br\ by two
        // backslashes and an n. Both carry the same words.
        var myFt = Encoding.UTF8.GetString(mine.Content[1].Attachment.Data);
        var theirFt = Encoding.UTF8.GetString(theirs.Content[1].Attachment.Data);
        Assert.StartsWith("Critical Values Entered On:  08/22/2023 2:11 EDT \\.br\\ Performed On:", myFt, StringComparison.Ordinal);
        Assert.Equal(theirFt.Replace("\\\\n", string.Empty, StringComparison.Ordinal), myFt.Replace("\\.br\\", string.Empty, StringComparison.Ordinal));

        // The PDF's data is the placeholder "<Base64 encoded>": neither side has data, and this adapter says so.
        Assert.Null(theirs.Content[3].Attachment.Data);
        Assert.Null(mine.Content[3].Attachment.Data);
        Assert.Contains(Ours.Report.Warnings, w => w.Segment == "OBX" && w.Detail!.Contains("not valid Base64", StringComparison.Ordinal));
    }

    [Fact]
    public void Report_AccountsForSegmentsTheReferenceTurnsIntoOrders()
    {
        // The reference makes a ServiceRequest of ORC/OBR and Observations of the document's OBX; this adapter keeps the
        // OBX as the document's content and reports the order segments as not converted.
        Assert.Contains(Ours.Report.Skipped, e => e.Segment == "ORC");
        Assert.Contains(Ours.Report.Skipped, e => e.Segment == "OBR");
        Assert.Contains(Ours.Report.Skipped, e => e.Segment == "TQ1");
        Assert.Equal(4, Ours.Report.Entries.Count(e => e.Segment == "OBX" && e.Outcome == Hl7V2SegmentOutcome.Merged));
        Assert.Empty(Ours.Resources.OfType<Observation>());
    }
}
