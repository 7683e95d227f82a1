namespace HealthRecord.Sdk.Consent;

/// <summary>How several consents and rules combine for one record.</summary>
public enum ConsentCombining
{
    /// <summary>Any deny wins; otherwise any permit; otherwise the default.</summary>
    DenyOverrides = 0,

    /// <summary>Any permit wins; otherwise any deny; otherwise the default.</summary>
    PermitOverrides = 1,

    /// <summary>The most recent consent (<c>Consent.dateTime</c>) that decides wins; on a tie, deny wins.</summary>
    MostRecent = 2,
}

/// <summary>What happens when no consent applies to a record.</summary>
public enum NoConsentDefault
{
    /// <summary>Opt-in jurisdiction: nothing is shared without a consent that permits it.</summary>
    OptIn = 0,

    /// <summary>Opt-out jurisdiction: everything is shared unless a consent denies it.</summary>
    OptOut = 1,
}

/// <summary>Options of the consent engine and of sharing.</summary>
public sealed class ConsentOptions
{
    /// <summary>How consents combine.</summary>
    /// <value>The default is <see cref="ConsentCombining.DenyOverrides"/>.</value>
    public ConsentCombining Combining { get; set; } = ConsentCombining.DenyOverrides;

    /// <summary>The decision when no consent applies.</summary>
    /// <value>The default is <see cref="NoConsentDefault.OptIn"/> (deny).</value>
    public NoConsentDefault Default { get; set; } = NoConsentDefault.OptIn;

    /// <summary>
    /// Actor roles (v3-ParticipationType / v3-RoleClass codes) that name who holds or wrote the data rather than who
    /// receives it: a provision actor with such a role matches records authored or held by that actor (through the
    /// record's author elements and its Provenance), not the recipient.
    /// </summary>
    /// <value>The default is CST (custodian), AUT (author), INF (informant) and ENT (data enterer).</value>
    public ISet<string> SourceActorRoles { get; } = new HashSet<string>(StringComparer.Ordinal) { "CST", "AUT", "INF", "ENT" };

    /// <summary>Whether emergency access (ETREAT with <see cref="AccessRequest.BreakGlass"/>) may override a denial when no consent explicitly permits emergency treatment.</summary>
    /// <value>The default is <see langword="false"/>: a consent must permit ETREAT (or BTG).</value>
    public bool AllowBreakGlassWithoutConsent { get; set; }

    /// <summary>The notice attached to a disclosure that contains 42 CFR Part 2 records (§ 2.32).</summary>
    /// <value>The default is the regulation's short form, "42 CFR part 2 prohibits unauthorized disclosure of these records."</value>
    public string Part2Notice { get; set; } = "42 CFR part 2 prohibits unauthorized disclosure of these records.";

    /// <summary>The sensitivity labels (v3-ActCode) that make a record a Part 2 record, besides a 42CFRPart2 label basis.</summary>
    /// <value>The default is ETH, ETHUD, OPIOIDUD and SUD.</value>
    public ISet<string> Part2Labels { get; } = new HashSet<string>(StringComparer.Ordinal) { "ETH", "ETHUD", "OPIOIDUD", "SUD" };

    /// <summary>The name of the system that discloses, written as the AuditEvent source observer.</summary>
    /// <value>The default is "HealthRecord.Sdk".</value>
    public string AuditSource { get; set; } = "HealthRecord.Sdk";

    /// <summary>Whether to write one AuditEvent per record decision besides the disclosure's own.</summary>
    /// <value>The default is <see langword="true"/>.</value>
    public bool AuditEachDecision { get; set; } = true;
}
