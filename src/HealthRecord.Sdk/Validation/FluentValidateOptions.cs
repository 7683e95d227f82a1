using FluentValidation;
using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.Validation;

/// <summary>
/// Bridges a FluentValidation validator into the options system, so that options are validated
/// when first used (and at start-up when the host calls <c>ValidateOnStart</c>), reporting every error at once.
/// </summary>
/// <typeparam name="TOptions">The options type.</typeparam>
internal sealed class FluentValidateOptions<TOptions>(IValidator<TOptions> validator) : IValidateOptions<TOptions>
    where TOptions : class
{
    public ValidateOptionsResult Validate(string? name, TOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var result = validator.Validate(options);
        return result.IsValid
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(result.Errors.Select(e => $"{typeof(TOptions).Name}.{e.PropertyName}: {e.ErrorMessage}"));
    }
}
