using Microsoft.Extensions.Options;

namespace HealthRecord.Sdk.FhirServer.Configuration;

/// <summary>Bridges <see cref="FhirServerSourceOptionsValidator"/> into the options system, for every named source and the defaults.</summary>
internal sealed class FhirServerOptionsValidation(FhirServerSourceNames names) : IValidateOptions<FhirServerSourceOptions>
{
    private static readonly FhirServerSourceOptionsValidator Named = new(requireBaseAddress: true);
    private static readonly FhirServerSourceOptionsValidator Defaults = new(requireBaseAddress: false);

    public ValidateOptionsResult Validate(string? name, FhirServerSourceOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var named = name is not null && names.Contains(name);
        var result = (named ? Named : Defaults).Validate(options);
        return result.IsValid
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(result.Errors.Select(e => $"FhirServerSourceOptions '{name}': {e.ErrorMessage}"));
    }
}

/// <summary>The names of the sources added with <c>AddFhirServerSource</c>.</summary>
internal sealed class FhirServerSourceNames
{
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);

    public void Add(string name)
    {
        lock (_names)
        {
            _names.Add(name);
        }
    }

    public bool Contains(string name)
    {
        lock (_names)
        {
            return _names.Contains(name);
        }
    }

    public IReadOnlyList<string> All
    {
        get
        {
            lock (_names)
            {
                return _names.ToList();
            }
        }
    }
}
