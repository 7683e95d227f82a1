namespace HealthRecord.Sdk.Merge;

/// <summary>Which merge policy applies to which resource type. Configure with <c>ConfigureMerge</c>.</summary>
/// <example><code>hr.ConfigureMerge(m => m.Default(MergePolicies.SourcePriority("hospital-a", "clinic-b")).For("Observation", MergePolicies.MostRecent()));</code></example>
public sealed class MergeOptions
{
    private readonly Dictionary<string, IMergePolicy> _byType = new(StringComparer.Ordinal);

    /// <summary>The policy for types without their own.</summary>
    /// <value>The default is <see cref="MergePolicies.SourcePriority(string[])"/> with <see cref="HealthRecordOptions.SourcePriority"/>.</value>
    public IMergePolicy DefaultPolicy { get; set; } = MergePolicies.SourcePriority();

    /// <summary>Policies for particular resource types.</summary>
    public IReadOnlyDictionary<string, IMergePolicy> PolicyByResourceType => _byType;

    /// <summary>Sets the default policy.</summary>
    /// <param name="policy">The policy.</param>
    /// <returns>These options, for chaining.</returns>
    public MergeOptions Default(IMergePolicy policy)
    {
        ArgumentNullException.ThrowIfNull(policy);
        DefaultPolicy = policy;
        return this;
    }

    /// <summary>Sets the policy for one resource type.</summary>
    /// <param name="resourceType">The FHIR resource type, e.g. <c>Observation</c>.</param>
    /// <param name="policy">The policy.</param>
    /// <returns>These options, for chaining.</returns>
    /// <exception cref="ArgumentException">The type is not a FHIR R4 resource type.</exception>
    public MergeOptions For(string resourceType, IMergePolicy policy)
    {
        ArgumentException.ThrowIfNullOrEmpty(resourceType);
        ArgumentNullException.ThrowIfNull(policy);
        if (!Hl7.Fhir.Model.ModelInfo.IsKnownResource(resourceType))
        {
            throw new ArgumentException($"'{resourceType}' is not a FHIR R4 resource type.", nameof(resourceType));
        }

        _byType[resourceType] = policy;
        return this;
    }

    /// <summary>The policy that applies to a type.</summary>
    /// <param name="resourceType">The type.</param>
    /// <returns>The policy.</returns>
    public IMergePolicy PolicyFor(string resourceType) => _byType.GetValueOrDefault(resourceType) ?? DefaultPolicy;
}
