using HealthRecord.Sdk.Consent;
using HealthRecord.Sdk.DependencyInjection;
using HealthRecord.Sdk.Security;
using Hl7.Fhir.Model;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.Tests.DependencyInjection;

public class ConsentBuilderExtensionsTests
{
    private sealed class OrgRule : IConsentRule
    {
        public string Name => "org";

        public ConsentRuleVote? Evaluate(ConsentRuleContext context) => null;
    }

    private sealed class ExtraLabeler : ISecurityLabeler
    {
        public IReadOnlyList<RuleSetVersion> RuleSets => [new("extra", "1")];

        public IEnumerable<SecurityLabelAssignment> Assign(Resource resource, SecurityLabelingContext context) => [];
    }

    private sealed class ListSink : IAuditSink
    {
        public ValueTask WriteAsync(IReadOnlyList<AuditEvent> events, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;
    }

    [Fact]
    public void AddHealthRecord_Default_RegistersConsentServices()
    {
        using var sp = new ServiceCollection().AddLogging().AddHealthRecord().BuildServiceProvider();

        Assert.IsType<EhrSharing>(sp.GetRequiredService<IEhrSharing>());
        Assert.IsType<ConsentEvaluator>(sp.GetRequiredService<IConsentEvaluator>());
        Assert.IsType<InMemoryAuditSink>(sp.GetRequiredService<IAuditSink>());
        Assert.IsType<ValueSetSecurityLabeler>(Assert.Single(sp.GetServices<ISecurityLabeler>()));
        Assert.Empty(sp.GetServices<IConsentRule>());
        Assert.Equal(NoConsentDefault.OptIn, sp.GetRequiredService<IOptions<ConsentOptions>>().Value.Default);
    }

    [Fact]
    public void Builder_HostExtensions_AreRegisteredOnceEach()
    {
        using var sp = new ServiceCollection().AddLogging().AddHealthRecord(hr => hr
            .AddConsentRule<OrgRule>().AddConsentRule<OrgRule>()
            .AddSecurityLabeler<ExtraLabeler>()
            .UseAuditSink<ListSink>()
            .ConfigureConsent(o => o.Combining = ConsentCombining.MostRecent)
            .ConfigureSecurityLabeling(o => o.PropagateThroughReferences = false)).BuildServiceProvider();

        Assert.Single(sp.GetServices<IConsentRule>());
        Assert.Equal(2, sp.GetServices<ISecurityLabeler>().Count());
        Assert.IsType<ListSink>(sp.GetRequiredService<IAuditSink>());
        Assert.Equal(ConsentCombining.MostRecent, sp.GetRequiredService<IOptions<ConsentOptions>>().Value.Combining);
        Assert.False(sp.GetRequiredService<IOptions<SecurityLabelingOptions>>().Value.PropagateThroughReferences);
    }
}
