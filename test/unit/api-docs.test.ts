/**
 * The API reference is generated from the doc comments (`npm run docs`, TypeDoc), so every exported
 * symbol of the public entry points must have one, and every prop of an exported `XxxProps`
 * interface must have one, with `@default` on each optional prop. Checked with the TypeScript
 * compiler over the real declarations.
 */
import { join } from "node:path";
import ts from "typescript";
import { REPO_ROOT } from "../helpers";

const ENTRY_POINTS = ["index.ts", "constructs/index.ts"];

const program = ts.createProgram(
  ENTRY_POINTS.map((f) => join(REPO_ROOT, f)),
  {
    strict: true,
    resolveJsonModule: true,
    esModuleInterop: true,
    skipLibCheck: true,
    noEmit: true,
  },
);
const checker = program.getTypeChecker();

/** Every exported symbol of an entry point, aliases followed to their declarations. */
function exportsOf(file: string): { name: string; symbol: ts.Symbol }[] {
  const source = program.getSourceFile(join(REPO_ROOT, file))!;
  const module = checker.getSymbolAtLocation(source)!;
  return checker.getExportsOfModule(module).map((s) => ({
    name: s.getName(),
    symbol: s.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(s) : s,
  }));
}

/** Whether a declaration has a JSDoc comment of its own (`/** ... *\/` before it). */
function documented(declaration: ts.Declaration): boolean {
  const text = declaration.getSourceFile().getFullText();
  const node = ts.isVariableDeclaration(declaration) ? declaration.parent.parent : declaration;
  return (ts.getLeadingCommentRanges(text, node.getFullStart()) ?? []).some((r) =>
    text.slice(r.pos, r.end).startsWith("/**"),
  );
}

describe.each(ENTRY_POINTS)("%s", (entry) => {
  const symbols = exportsOf(entry);

  test("exports symbols", () => {
    expect(symbols.length).toBeGreaterThan(50);
  });

  test("every exported symbol has a doc comment", () => {
    const undocumented = symbols
      .filter(({ symbol }) => (symbol.declarations ?? []).length > 0)
      .filter(({ symbol }) => !(symbol.declarations ?? []).some(documented))
      .map(({ name, symbol }) => `${name} (${relative(symbol.declarations![0])})`);
    expect(undocumented).toEqual([]);
  });

  test("every prop of an exported props interface has a doc comment, and optional ones a @default", () => {
    const problems: string[] = [];
    for (const { name, symbol } of symbols) {
      if (!name.endsWith("Props")) continue;
      const declaration = symbol.declarations?.find(ts.isInterfaceDeclaration);
      if (!declaration) continue;
      for (const member of declaration.members) {
        if (!ts.isPropertySignature(member)) continue;
        const prop = `${name}.${member.name.getText()}`;
        if (!documented(member)) problems.push(`${prop}: no doc comment`);
        else if (
          member.questionToken &&
          !ts.getJSDocTags(member).some((t) => t.tagName.text === "default")
        )
          problems.push(`${prop}: optional without @default`);
      }
    }
    expect(problems).toEqual([]);
  });
});

function relative(declaration: ts.Declaration): string {
  return declaration.getSourceFile().fileName.replace(`${REPO_ROOT}/`, "");
}
