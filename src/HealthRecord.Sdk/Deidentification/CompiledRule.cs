using System.Text.RegularExpressions;
using HealthRecord.Sdk.Errors;
using Hl7.Fhir.FhirPath;
using Hl7.Fhir.Model;
using Hl7.FhirPath;
using Hl7.FhirPath.Expressions;

namespace HealthRecord.Sdk.Deidentification;

/// <summary>How a rule's path is matched.</summary>
internal enum RuleKind
{
    Type,
    TypeMember,
    Path,
    Expression,
}

/// <summary>A rule, parsed once: type selectors and plain paths are matched by the walker, other FHIRPath by Firely's engine.</summary>
internal sealed partial record CompiledRule(int Index, DeidentificationRule Rule, RuleKind Kind, string? TypeName, string? Member, string? Predicate, string? Root)
{
    private static readonly FhirPathCompiler Compiler = new(new SymbolTable().AddStandardFP().AddFhirExtensions());

    public static CompiledRule Compile(int index, DeidentificationRule rule, List<string> errors)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var path = rule.Path?.Trim() ?? "";
        if (TypeSelector().Match(path) is { Success: true } t)
        {
            var predicate = t.Groups["where"].Success ? t.Groups["where"].Value : null;
            if (predicate is not null)
            {
                Check(predicate, rule, errors);
            }

            return t.Groups["member"].Success
                ? new CompiledRule(index, rule, RuleKind.TypeMember, t.Groups["type"].Value, t.Groups["member"].Value, null, null)
                : new CompiledRule(index, rule, RuleKind.Type, t.Groups["type"].Value, null, predicate, null);
        }

        if (PlainPath().IsMatch(path))
        {
            return new CompiledRule(index, rule, RuleKind.Path, null, null, null, path.Split('.')[0]);
        }

        Check(path, rule, errors);
        var root = RootType().Match(path);
        return new CompiledRule(index, rule, RuleKind.Expression, null, null, null, root.Success ? root.Groups[1].Value : null);
    }

    public bool Matches(Base parent, string key, Base node, string path)
    {
        switch (Kind)
        {
            case RuleKind.Type:
                return IsOfType(node, TypeName!) && (Predicate is null || node.IsTrue(Predicate));
            case RuleKind.TypeMember:
                return key == Member && IsOfType(parent, TypeName!);
            case RuleKind.Path:
                if (Root == "Resource")
                {
                    var dot = path.IndexOf('.', StringComparison.Ordinal);
                    return dot > 0 && string.CompareOrdinal(path, dot, Rule.Path, "Resource".Length, int.MaxValue) == 0;
                }

                return path == Rule.Path;
            default:
                return false;
        }
    }

    private static bool IsOfType(Base node, string type) =>
        node.TypeName == type
        || (type == "Quantity" && node is Quantity)
        || (type == "Reference" && node is ResourceReference)
        || (type == "string" && node is FhirString);

    private static void Check(string expression, DeidentificationRule rule, List<string> errors)
    {
        try
        {
            Compiler.Compile(expression);
        }
        catch (Exception ex) when (ex is FormatException or ArgumentException or InvalidOperationException or NotSupportedException)
        {
            errors.Add($"rule '{rule.DisplayName}': {ex.Message}");
        }
    }

    [GeneratedRegex(@"^nodesByType\('(?<type>[A-Za-z0-9]+)'\)(?:\.where\((?<where>.+)\)|\.(?<member>[a-z][A-Za-z]*))?$", RegexOptions.CultureInvariant)]
    private static partial Regex TypeSelector();

    [GeneratedRegex(@"^[A-Z][A-Za-z]*(?:\.[a-z][A-Za-z]*)*$", RegexOptions.CultureInvariant)]
    private static partial Regex PlainPath();

    [GeneratedRegex(@"^([A-Z][A-Za-z]*)[.(]", RegexOptions.CultureInvariant)]
    private static partial Regex RootType();
}
