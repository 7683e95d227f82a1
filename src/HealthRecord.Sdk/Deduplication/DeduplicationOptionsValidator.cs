using FluentValidation;

namespace HealthRecord.Sdk.Deduplication;

/// <summary>Validates <see cref="DeduplicationOptions"/>: tolerances are non-negative and bounded, spans cover tolerances.</summary>
public sealed class DeduplicationOptionsValidator : AbstractValidator<DeduplicationOptions>
{
    private static readonly TimeSpan Longest = TimeSpan.FromDays(3660);

    /// <summary>Creates the validator.</summary>
    public DeduplicationOptionsValidator()
    {
        RuleFor(o => o.QuantityRelativeTolerance).InclusiveBetween(0d, 0.1d);
        RuleFor(o => o.SameActTimeTolerance).InclusiveBetween(TimeSpan.Zero, TimeSpan.FromDays(1))
            .WithMessage("SameActTimeTolerance must be between 0 and 1 day.");
        RuleForEach(o => o.Rules).ChildRules(rule =>
        {
            rule.RuleFor(r => r.Value.TimeTolerance)
                .Must(t => t is null || (t.Value >= TimeSpan.Zero && t.Value <= Longest))
                .WithMessage(r => $"Rules[{r.Key}].TimeTolerance must be between 0 and 3660 days.");
            rule.RuleFor(r => r.Value.MaxClusterSpan)
                .Must(t => t is null || (t.Value >= TimeSpan.Zero && t.Value <= Longest))
                .WithMessage(r => $"Rules[{r.Key}].MaxClusterSpan must be between 0 and 3660 days.");
            rule.RuleFor(r => r.Value)
                .Must(v => v.MaxClusterSpan is null || v.TimeTolerance is null || v.MaxClusterSpan >= v.TimeTolerance)
                .WithMessage(r => $"Rules[{r.Key}].MaxClusterSpan must not be shorter than its TimeTolerance.");
            rule.RuleFor(r => r.Value)
                .Must(v => !v.RequireTime || v.TimeTolerance is not null)
                .WithMessage(r => $"Rules[{r.Key}].RequireTime needs a TimeTolerance.");
        });
    }
}
