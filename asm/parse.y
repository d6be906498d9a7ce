/*
** parse.y - the grammar of typed assembly (docs/language.md).
**
** A file is a list of statements, one per line (or separated by ';'):
** labels, instructions in Intel syntax as GNU as reads them under
** `.intel_syntax noprefix`, assembler directives, and annotations that give
** types.  Instructions are encoded as they are reduced (sym.c, encode.c);
** annotations become nodes of the unit's type table (common/types.h).
** A syntax error skips to the end of its line, so one run reports many.
*/
%define api.pure full
%define api.prefix {asm_yy}
%define parse.error custom
%locations
/* exists, rec and clauses extend as far right as they can (shift) */
%expect 5
%param {yyscan_t scanner}
%parse-param {Lexer *lx}

%code requires {
#include "as.h"

typedef void *yyscan_t;

typedef struct ASM_YYLTYPE { uint32_t file, line, col, spare; } ASM_YYLTYPE;
#define ASM_YYLTYPE_IS_DECLARED 1
#define ASM_YYLTYPE_IS_TRIVIAL 1
#define YYLLOC_DEFAULT(Cur, Rhs, N) \
	do { if (N) (Cur) = YYRHSLOC(Rhs, 1); else (Cur) = YYRHSLOC(Rhs, 0); } while (0)

typedef struct Word { const char *s; int len; int a, b; } Word;
typedef struct Str { char *s; int len; } Str;
/*
** A value: a constant, a label plus a constant, or (for a memory operand)
** base + index*scale + displacement.  `bare` marks a lone register.
*/
typedef struct Expr {
	int64_t v;
	Sym *sym;
	uint8_t base, index, scale;   /* R_NONE when absent                 */
	uint8_t bsize, isize;         /* widths of the base and index       */
	uint8_t bare, bad;
} Expr;
/* A run of type ids on the scratch stack. */
typedef struct TList { uint32_t start, n, nb; } TList;

enum { KW_STMT, KW_OPER, KW_TYPE, KW_NCLASS };
typedef struct Keyword { const char *name; uint8_t len, cls; uint16_t tok; int a, b; } Keyword;

enum { LEX_MAX_DEPTH = 128, LEX_MAX_INCLUDE = 32, LEX_KWCAP = 1024 };

typedef struct LexInclude { void *buf; uint32_t file, line, col; } LexInclude;

typedef struct Lexer {
	Asm *as;
	uint32_t file, line, col;
	int depth;
	ASM_YYLTYPE open[LEX_MAX_DEPTH];
	char openc[LEX_MAX_DEPTH];
	LexInclude inc[LEX_MAX_INCLUDE];
	int ninc;
	int next_state, comment_ret, at_eof_nl;
	ASM_YYLTYPE comment_at;
	const Keyword *kw[LEX_KWCAP];
	/* parser state */
	int width;                    /* width of the data directive being read */
	Operand op[3]; int nops;      /* operands of the statement being read   */
	TyId *tstk; uint32_t ntstk; unsigned captstk;   /* scratch for lists     */
	StrId *scope; uint32_t nscope; unsigned capscope;   /* names of binders in scope */
	int asciz;                    /* .asciz/.string: add a NUL              */
	uint32_t bad_file, bad_line;  /* last line with a lexical error         */
} Lexer;

const Keyword *kw_find(const Lexer *lx, int cls, const char *s, int n);
int lex_begin(Lexer *lx, SrcFile *f, yyscan_t *scanner);
void lex_end(Lexer *lx, yyscan_t scanner);
}

%code provides {
int asm_yylex(ASM_YYSTYPE *lval, ASM_YYLTYPE *lloc, yyscan_t scanner);
}

%code {
#include <string.h>

static Pos P(ASM_YYLTYPE l) { Pos p = { l.file, l.line, l.col }; return p; }
#define ERR(loc, ...) diag_error(lx->as->diag, P(loc), __VA_ARGS__)

static Expr num(int64_t v) { Expr e = { v, NULL, R_NONE, R_NONE, 0, 0, 0, 0, 0 }; return e; }
static Expr binop(Lexer *lx, ASM_YYLTYPE loc, int op, Expr a, Expr b);
static Expr name_expr(Lexer *lx, ASM_YYLTYPE loc, Word w);
static Expr reg_expr(Lexer *lx, ASM_YYLTYPE loc, Word r);
static Operand op_mem(Lexer *lx, ASM_YYLTYPE loc, int size, Expr m);
static Operand op_reg(Lexer *lx, ASM_YYLTYPE loc, Word r);
static Operand op_value(Lexer *lx, ASM_YYLTYPE loc, Expr e);
static void add_op(Lexer *lx, ASM_YYLTYPE loc, Operand o);
static void instruction(Lexer *lx, ASM_YYLTYPE loc, Word mn);
static void unknown_statement(Lexer *lx, ASM_YYLTYPE loc, Word w);
static void data_item(Lexer *lx, ASM_YYLTYPE loc, Expr e);
static void ascii(Lexer *lx, ASM_YYLTYPE loc, Str s);
static void section(Lexer *lx, ASM_YYLTYPE loc, Word name);
static void equ(Lexer *lx, ASM_YYLTYPE loc, Word name, Expr e);
static void align(Lexer *lx, ASM_YYLTYPE loc, int kind, Expr n, Expr *fill, Expr *max);
static void space(Lexer *lx, ASM_YYLTYPE loc, Expr n, Expr fill);
static void global(Lexer *lx, ASM_YYLTYPE loc, Word name);
static void syntax(Lexer *lx, ASM_YYLTYPE loc, Word d, Word *arg);

static TList tl_empty(Lexer *lx) { TList l = { lx->ntstk, 0, 0 }; return l; }
static TList tl_one(Lexer *lx, TyId t);
static TList tl_add(Lexer *lx, TList l, TyId t);
static TList tl_cat(TList a, TList b) { a.n += b.n; a.nb += b.nb; return a; }
static TyId tnode(Lexer *lx, ASM_YYLTYPE loc, int kind, int flags, StrId name, int64_t v, TList kids);
static TyId tnode1(Lexer *lx, ASM_YYLTYPE loc, int kind, int flags, StrId name, TyId a);
static TyId tnode2(Lexer *lx, ASM_YYLTYPE loc, int kind, TyId a, TyId b);
static TyId tname(Lexer *lx, ASM_YYLTYPE loc, Word w, TList args);
static TyId tconst(Lexer *lx, ASM_YYLTYPE loc, int64_t v);
static StrId wstr(Lexer *lx, Word w) { return ty_str(&lx->as->types, w.s, (size_t)w.len); }
static TList in_scope(Lexer *lx, TList binders);
static TyId named_once(Lexer *lx, ASM_YYLTYPE loc, TList earlier, TyId b, int field);
static void scope_pop(Lexer *lx, uint32_t n) { lx->nscope -= n; }
static void scope_push(Lexer *lx, StrId name);
static void decl(Lexer *lx, ASM_YYLTYPE loc, int kind, Word name, TyId type);
static void typedef_decl(Lexer *lx, ASM_YYLTYPE loc, Word name, TList params, TyId body);
static void coerce(Lexer *lx, ASM_YYLTYPE loc, int op, Operand where, TyId type, TyId args);
static void coerce_target(Lexer *lx, ASM_YYLTYPE loc, int op, TyId args);
static int reg64(Lexer *lx, ASM_YYLTYPE loc, Word r);
static Operand slot(Lexer *lx, ASM_YYLTYPE loc, Word r, int64_t disp);
static void yyerror(ASM_YYLTYPE *loc, yyscan_t scanner, Lexer *lx, const char *msg);
}

%union {
	Word w;
	Str str;
	int64_t num;
	Expr e;
	Operand op;
	TyId ty;
	TList tl;
	int i;
}

%token NL "end of line"
%token T_ERROR "invalid token"
%token <w> LABEL "label definition" NAME "name"
%token <num> NUMBER "number"
%token <str> STRING "string"
%token <w> MNEM "instruction" REG "register" SIZEKW "size keyword" PTR "ptr"
%token <w> SEGREG "segment register"
%token SHL_OP "<<" SHR_OP ">>" DCOLON "::" LE_OP "<=" GE_OP ">=" EQ_OP "==" NE_OP "!="
/* directives */
%token <w> D_SECT "section directive" D_SECTION ".section" D_GLOBL ".globl"
%token <w> D_DATA "data directive" D_ASCII "string directive" D_SPACE "space directive"
%token <w> D_ALIGN "alignment directive" D_EQU ".equ" D_SYNTAX "syntax directive"
%token <w> D_IGNORE "ignored directive"
%token <w> D_TYPEDEF ".typedef" D_DECL "declaration" D_EXPORT ".export"
%token <w> D_COERCE "coercion" D_UNPACK ".unpack"
/* type keywords */
%token <w> K_BASE "base type" K_S "S" K_CODE "code" K_EXISTS "exists" K_REC "rec"
%token <w> K_EMPTY "empty" K_STACK "stack" K_FUEL "fuel" K_KIND "kind" K_PERM "permission"
%token <w> K_UNINIT "uninit" K_SPTR "sptr"

%type <e> expr mem
%type <op> cloc
%type <ty> type tcons tsum tprod tprim field reg_bind binder constraint clause td_body
%type <tl> targs targs1 fields fields1 regs regs1 binders binders1 constraints clauses
%type <tl> qualifier td_params
%type <i> perm uninit

/* constant expressions: C's precedence */
%left '|'
%left '^'
%left '&'
%left SHL_OP SHR_OP
%left '+' '-'
%left '*' '/' '%'
%precedence NEG

%start file

%%

file
	: %empty
	| file item
	;

/* item: label | statement NL | NL | error NL */
item
	: LABEL                 { as_label(lx->as, P(@1), $1.s, (uint32_t)$1.len); }
	| stmt NL
	| NL
	| error NL              { yyerrok; lx->nops = 0; }
	;

stmt
	: MNEM                  { instruction(lx, @1, $1); }
	| MNEM operands         { instruction(lx, @1, $1); }
	| NAME                  { unknown_statement(lx, @1, $1); }
	| NAME operands         { unknown_statement(lx, @1, $1); }
	| NAME '=' expr         { equ(lx, @1, $1, $3); }
	| directive
	| annotation
	;

/* operands: operand {',' operand} */
operands
	: operand
	| operands ',' operand
	;

/* operand: reg | [size ptr] '[' expr ']' | expr */
operand
	: expr                  { add_op(lx, @1, op_value(lx, @1, $1)); }
	| SIZEKW PTR mem        { add_op(lx, @1, op_mem(lx, @1, $1.a, $3)); }
	| mem                   { add_op(lx, @1, op_mem(lx, @1, 0, $1)); }
	| SIZEKW PTR expr       {
		if ($3.bare) ERR(@1, "a size keyword goes with a memory operand: %.*s ptr [...]", $1.len, $1.s);
		else ERR(@3, "absolute memory operand: address data relative to rip, as in [rip + %s]",
		         $3.sym ? $3.sym->name : "label");
		add_op(lx, @1, op_value(lx, @3, num(0)));
		lx->op[0].kind = OP_NONE;
	}
	| SEGREG ':' mem        {
		ERR(@1, "segment overrides are not allowed");
		add_op(lx, @1, op_value(lx, @3, num(0)));
		lx->op[0].kind = OP_NONE;
	}
	;

mem : '[' expr ']'          { $$ = $2; } ;

/* expr: constants, labels and (in memory operands) registers, with C's operators */
expr
	: NUMBER                { $$ = num($1); }
	| NAME                  { $$ = name_expr(lx, @1, $1); }
	| REG                   { $$ = reg_expr(lx, @1, $1); }
	| '(' expr ')'          { $$ = $2; }
	| '-' expr %prec NEG    { $$ = binop(lx, @1, '-', num(0), $2); }
	| '+' expr %prec NEG    { $$ = $2; $$.bare = 0; }
	| '~' expr %prec NEG    { $$ = binop(lx, @1, '^', num(-1), $2); }
	| expr '|' expr         { $$ = binop(lx, @2, '|', $1, $3); }
	| expr '^' expr         { $$ = binop(lx, @2, '^', $1, $3); }
	| expr '&' expr         { $$ = binop(lx, @2, '&', $1, $3); }
	| expr SHL_OP expr      { $$ = binop(lx, @2, 'L', $1, $3); }
	| expr SHR_OP expr      { $$ = binop(lx, @2, 'R', $1, $3); }
	| expr '+' expr         { $$ = binop(lx, @2, '+', $1, $3); }
	| expr '-' expr         { $$ = binop(lx, @2, '-', $1, $3); }
	| expr '*' expr         { $$ = binop(lx, @2, '*', $1, $3); }
	| expr '/' expr         { $$ = binop(lx, @2, '/', $1, $3); }
	| expr '%' expr         { $$ = binop(lx, @2, '%', $1, $3); }
	;

/* ---- assembler directives ---- */
directive
	: D_SECT                { section(lx, @1, $1); }
	| D_SECTION NAME        { section(lx, @2, $2); }
	| D_GLOBL { lx->width = $1.a; } globl_names
	| D_DATA { lx->width = $1.a; } data_items
	| D_ASCII { lx->asciz = $1.a; } strings
	| D_SPACE expr          { space(lx, @2, $2, num(0)); }
	| D_SPACE expr ',' expr { space(lx, @2, $2, $4); }
	| D_ALIGN expr          { align(lx, @2, $1.a, $2, NULL, NULL); }
	| D_ALIGN expr ',' expr { align(lx, @2, $1.a, $2, &$4, NULL); }
	| D_ALIGN expr ',' ',' expr         { align(lx, @2, $1.a, $2, NULL, &$5); }
	| D_ALIGN expr ',' expr ',' expr    { align(lx, @2, $1.a, $2, &$4, &$6); }
	| D_EQU NAME ',' expr   { equ(lx, @2, $2, $4); }
	| D_SYNTAX              { syntax(lx, @1, $1, NULL); }
	| D_SYNTAX NAME         { syntax(lx, @1, $1, &$2); }
	| D_IGNORE
	;

globl_names
	: NAME                  { global(lx, @1, $1); }
	| globl_names ',' NAME  { global(lx, @3, $3); }
	;

data_items
	: expr                  { data_item(lx, @1, $1); }
	| data_items ',' expr   { data_item(lx, @3, $3); }
	;

strings
	: STRING                { ascii(lx, @1, $1); }
	| strings ',' STRING    { ascii(lx, @3, $3); }
	;

/* ---- annotations (docs/language.md, "Annotations") ---- */
annotation
	/* .typedef name ['[' binders ']'] ['=' type] */
	: D_TYPEDEF NAME td_params td_body { typedef_decl(lx, @2, $2, $3, $4); scope_pop(lx, $3.nb); }
	/* .label name : type    .object name : type    .import name : type */
	| D_DECL NAME ':' type             { decl(lx, @2, $1.a, $2, $4); }
	/* .export name [: type] */
	| D_EXPORT NAME                    { decl(lx, @2, E_EXPORT, $2, 0); }
	| D_EXPORT NAME ':' type           { decl(lx, @2, E_EXPORT, $2, $4); }
	/* .fold loc, type    .subsume loc, type    .unfold loc */
	| D_COERCE cloc                    { coerce(lx, @1, $1.a, $2, 0, 0); }
	| D_COERCE cloc ',' type           { coerce(lx, @1, $1.a, $2, $4, 0); }
	/* .pack loc, type, [witnesses]    .inst loc, [args] */
	| D_COERCE cloc ',' type ',' '[' targs ']'
	                                   { coerce(lx, @1, $1.a, $2, $4, tnode(lx, @6, TY_LIST, 0, 0, 0, $7)); }
	| D_COERCE cloc ',' '[' targs ']'  { coerce(lx, @1, $1.a, $2, 0, tnode(lx, @4, TY_LIST, 0, 0, 0, $5)); }
	| D_COERCE '[' targs ']'           { coerce_target(lx, @1, $1.a, tnode(lx, @2, TY_LIST, 0, 0, 0, $3)); }
	/* .unpack loc, [binders] */
	| D_UNPACK cloc ',' '[' binders ']' { coerce(lx, @1, A_UNPACK, $2, 0, tnode(lx, @4, TY_LIST, 0, 0, 0, $5)); }
	;

td_params
	: %empty                { $$ = tl_empty(lx); }
	| '[' binders ']'       { $$ = in_scope(lx, $2); }
	;
td_body
	: %empty                { $$ = 0; }
	| '=' type              { $$ = $2; }
	;

/* where a coercion applies: a register or a stack slot [rsp +/- n] */
cloc
	: REG                    { $$ = op_reg(lx, @1, $1); }
	| '[' REG ']'            { $$ = slot(lx, @2, $2, 0); }
	| '[' REG '+' NUMBER ']' { $$ = slot(lx, @2, $2, $4); }
	| '[' REG '-' NUMBER ']' { $$ = slot(lx, @2, $2, -$4); }
	;

/* type: tsum ['::' type]   (stack types; right-associative) */
type : tcons ;
tcons
	: tsum
	| tsum DCOLON tcons     { $$ = tnode2(lx, @2, TY_SCONS, $1, $3); }
	;
/* index arithmetic: e + e, e - e, k * e */
tsum
	: tprod
	| tsum '+' tprod        { $$ = tnode2(lx, @2, TY_IADD, $1, $3); }
	| tsum '-' tprod        { $$ = tnode2(lx, @2, TY_ISUB, $1, $3); }
	;
tprod
	: tprim
	| NUMBER '*' tprim      { $$ = tnode2(lx, @2, TY_IMUL, tconst(lx, @1, $1), $3); }
	;

tprim
	: K_BASE                { $$ = tnode(lx, @1, $1.a, 0, 0, 0, tl_empty(lx)); }
	| K_EMPTY               { $$ = tnode(lx, @1, TY_SNIL, 0, 0, 0, tl_empty(lx)); }
	| NUMBER                { $$ = tconst(lx, @1, $1); }
	| '-' NUMBER            { $$ = tconst(lx, @1, -$2); }
	| K_S '(' type ')'      { $$ = tnode1(lx, @1, TY_SING, 0, 0, $3); }
	| K_SPTR '(' type ')'   { $$ = tnode1(lx, @1, TY_SPTR, 0, 0, $3); }
	| NAME                  { $$ = tname(lx, @1, $1, tl_empty(lx)); }
	| NAME '[' targs ']'    { $$ = tname(lx, @1, $1, $3); }
	| '*' tprim             { $$ = tnode1(lx, @1, TY_PTR, 0, 0, $2); }
	| '?' '*' tprim         { $$ = tnode1(lx, @1, TY_PTR, TF_NULLABLE, 0, $3); }
	| '{' fields '}'        { $$ = tnode(lx, @1, TY_RECORD, 0, 0, 0, $2); }
	| '[' type perm ';' type ']' {
		$$ = tnode(lx, @1, TY_ARRAY, $3, 0, 0, tl_add(lx, tl_one(lx, $2), $5));
	}
	/* code [binders | constraints] {regs} [stack e] [fuel e] */
	| K_CODE qualifier '{' regs '}' clauses {
		$$ = tnode(lx, @1, TY_CODE, 0, 0, 0, tl_cat(tl_cat($2, $4), $6));
		scope_pop(lx, $2.nb);
	}
	/* exists [binders | constraints]. type */
	| K_EXISTS qualifier '.' type {
		$$ = tnode(lx, @1, TY_EXISTS, 0, 0, 0, tl_add(lx, $2, $4));
		scope_pop(lx, $2.nb);
	}
	/* rec a. type */
	| K_REC NAME '.' { scope_push(lx, wstr(lx, $2)); } type {
		$$ = tnode1(lx, @1, TY_MU, 0, wstr(lx, $2), $5);
		scope_pop(lx, 1);
	}
	| '(' type ')'          { $$ = $2; }
	;

/* qualifier: ['[' binders ['|' constraints] ']']; the binders come into scope */
qualifier
	: %empty                { $$ = tl_empty(lx); }
	| '[' binders ']'       { $$ = in_scope(lx, $2); }
	| '[' binders '|' { $<tl>$ = in_scope(lx, $2); } constraints ']' {
		$$ = tl_cat($<tl>4, $5);
	}
	;

binders : %empty { $$ = tl_empty(lx); } | binders1 ;
binders1
	: binder                { $$ = tl_one(lx, $1); }
	| binders1 ',' binder   { $$ = tl_add(lx, $1, named_once(lx, @3, $1, $3, 0)); }
	;
/* binder: name [':' kind] */
binder
	: NAME                  { $$ = tnode(lx, @1, TY_BINDER, TK_TYPE, wstr(lx, $1), 0, tl_empty(lx)); }
	| NAME ':' K_KIND       { $$ = tnode(lx, @1, TY_BINDER, $3.a, wstr(lx, $1), 0, tl_empty(lx)); }
	| NAME ':' K_STACK      { $$ = tnode(lx, @1, TY_BINDER, TK_STACK, wstr(lx, $1), 0, tl_empty(lx)); }
	;

constraints
	: constraint            { $$ = tl_one(lx, $1); }
	| constraints ',' constraint { $$ = tl_add(lx, $1, $3); }
	;
/* constraint: e ('<' | '<=' | '==' | '!=' | '>' | '>=') e */
constraint
	: tsum '<' tsum         { $$ = tnode2(lx, @2, TY_CLT, $1, $3); }
	| tsum LE_OP tsum       { $$ = tnode2(lx, @2, TY_CLE, $1, $3); }
	| tsum '>' tsum         { $$ = tnode2(lx, @2, TY_CLT, $3, $1); }
	| tsum GE_OP tsum       { $$ = tnode2(lx, @2, TY_CLE, $3, $1); }
	| tsum EQ_OP tsum       { $$ = tnode2(lx, @2, TY_CEQ, $1, $3); }
	| tsum NE_OP tsum       { $$ = tnode2(lx, @2, TY_CNE, $1, $3); }
	;

/* regs: reg ':' type {',' reg ':' type} [','] */
regs : %empty { $$ = tl_empty(lx); } | regs1 | regs1 ',' ;
regs1
	: reg_bind              { $$ = tl_one(lx, $1); }
	| regs1 ',' reg_bind    { $$ = tl_add(lx, $1, $3); }
	;
reg_bind
	: REG ':' type          { $$ = tnode1(lx, @1, TY_REG, reg64(lx, @1, $1), 0, $3); }
	;

/* clauses: {'stack' e | 'fuel' e} */
clauses
	: %empty                { $$ = tl_empty(lx); }
	| clauses clause        { $$ = tl_add(lx, $1, $2); }
	;
clause
	: K_STACK tprim         { $$ = tnode1(lx, @1, TY_STACKREQ, 0, 0, $2); }
	| K_FUEL tprim          { $$ = tnode1(lx, @1, TY_FUELREQ, 0, 0, $2); }
	;

/* fields: name ':' type [perm] ['uninit'] {',' ...} [','] */
fields : %empty { $$ = tl_empty(lx); } | fields1 | fields1 ',' ;
fields1
	: field                 { $$ = tl_one(lx, $1); }
	| fields1 ',' field     { $$ = tl_add(lx, $1, named_once(lx, @3, $1, $3, 1)); }
	;
field
	: NAME ':' type perm uninit { $$ = tnode1(lx, @1, TY_FIELD, $4 | $5, wstr(lx, $1), $3); }
	;
perm   : %empty { $$ = TF_RW; } | K_PERM { $$ = $1.a; } ;
uninit : %empty { $$ = 0; }     | K_UNINIT { $$ = TF_UNINIT; } ;

targs : %empty { $$ = tl_empty(lx); } | targs1 ;
targs1
	: type                  { $$ = tl_one(lx, $1); }
	| targs1 ',' type       { $$ = tl_add(lx, $1, $3); }
	;

%%

/* ---- keywords ---- */

#define KS(name, tok, a, b) { name, sizeof name - 1, KW_STMT, tok, a, b },
#define KO(name, tok, a, b) { name, sizeof name - 1, KW_OPER, tok, a, b },
#define KT(name, tok, a, b) { name, sizeof name - 1, KW_TYPE, tok, a, b },
static const Keyword keywords[] = {
	KS(".text", D_SECT, SEC_TEXT, 0) KS(".data", D_SECT, SEC_DATA, 0)
	KS(".bss", D_SECT, SEC_BSS, 0) KS(".section", D_SECTION, 0, 0)
	KS(".globl", D_GLOBL, 0, 0) KS(".global", D_GLOBL, 0, 0)
	KS(".byte", D_DATA, 1, 0) KS(".short", D_DATA, 2, 0) KS(".word", D_DATA, 2, 0)
	KS(".value", D_DATA, 2, 0) KS(".2byte", D_DATA, 2, 0) KS(".long", D_DATA, 4, 0)
	KS(".int", D_DATA, 4, 0) KS(".4byte", D_DATA, 4, 0) KS(".quad", D_DATA, 8, 0)
	KS(".8byte", D_DATA, 8, 0)
	KS(".ascii", D_ASCII, 0, 0) KS(".asciz", D_ASCII, 1, 0) KS(".string", D_ASCII, 1, 0)
	KS(".zero", D_SPACE, 0, 0) KS(".skip", D_SPACE, 0, 0) KS(".space", D_SPACE, 0, 0)
	KS(".align", D_ALIGN, 0, 0) KS(".p2align", D_ALIGN, 1, 0) KS(".balign", D_ALIGN, 2, 0)
	KS(".equ", D_EQU, 0, 0) KS(".set", D_EQU, 0, 0)
	KS(".intel_syntax", D_SYNTAX, 0, 0) KS(".att_syntax", D_SYNTAX, 1, 0)
	KS(".file", D_IGNORE, 0, 0) KS(".ident", D_IGNORE, 0, 0) KS(".type", D_IGNORE, 0, 0)
	KS(".size", D_IGNORE, 0, 0) KS(".code64", D_IGNORE, 0, 0) KS(".extern", D_GLOBL, 1, 0)
	KS(".typedef", D_TYPEDEF, 0, 0) KS(".label", D_DECL, E_LABEL, 0)
	KS(".object", D_DECL, E_OBJECT, 0) KS(".import", D_DECL, E_IMPORT, 0)
	KS(".export", D_EXPORT, 0, 0)
	KS(".fold", D_COERCE, A_FOLD, 0) KS(".unfold", D_COERCE, A_UNFOLD, 0)
	KS(".pack", D_COERCE, A_PACK, 0) KS(".inst", D_COERCE, A_INST, 0)
	KS(".subsume", D_COERCE, A_SUBSUME, 0) KS(".unpack", D_UNPACK, A_UNPACK, 0)

	KO("byte", SIZEKW, S8, 0) KO("word", SIZEKW, S16, 0) KO("dword", SIZEKW, S32, 0)
	KO("qword", SIZEKW, S64, 0) KO("ptr", PTR, 0, 0)
	KO("cs", SEGREG, 0, 0) KO("ds", SEGREG, 0, 0) KO("es", SEGREG, 0, 0)
	KO("fs", SEGREG, 0, 0) KO("gs", SEGREG, 0, 0) KO("ss", SEGREG, 0, 0)
	KO("ah", REG, -2, S8) KO("bh", REG, -2, S8) KO("ch", REG, -2, S8) KO("dh", REG, -2, S8)

	KT("int", K_BASE, TY_INT, 0) KT("u8", K_BASE, TY_U8, 0) KT("u16", K_BASE, TY_U16, 0)
	KT("u32", K_BASE, TY_U32, 0) KT("u64", K_BASE, TY_U64, 0) KT("any", K_BASE, TY_ANY, 0)
	KT("limit", K_BASE, TY_LIMIT, 0) KT("budget", K_BASE, TY_BUDGET, 0)
	KT("S", K_S, 0, 0) KT("code", K_CODE, 0, 0) KT("exists", K_EXISTS, 0, 0)
	KT("rec", K_REC, 0, 0) KT("empty", K_EMPTY, 0, 0) KT("stack", K_STACK, 0, 0)
	KT("fuel", K_FUEL, 0, 0) KT("type", K_KIND, TK_TYPE, 0) KT("size", K_KIND, TK_SIZE, 0)
	KT("ro", K_PERM, TF_R, 0) KT("wo", K_PERM, TF_W, 0) KT("rw", K_PERM, TF_RW, 0)
	KT("uninit", K_UNINIT, 0, 0) KT("sptr", K_SPTR, 0, 0)
};

static unsigned kw_hash(int cls, const char *s, int n)
{
	unsigned h = 2166136261u ^ (unsigned)cls;
	for (int i = 0; i < n; i++) h = (h ^ (unsigned char)s[i]) * 16777619u;
	return h;
}

static void kw_put(Lexer *lx, const Keyword *k)
{
	unsigned i = kw_hash(k->cls, k->name, k->len) & (LEX_KWCAP - 1);
	while (lx->kw[i]) i = (i + 1) & (LEX_KWCAP - 1);
	lx->kw[i] = k;
}

const Keyword *kw_find(const Lexer *lx, int cls, const char *s, int n)
{
	if (n > 24) return NULL;
	unsigned i = kw_hash(cls, s, n) & (LEX_KWCAP - 1);
	for (const Keyword *k; (k = lx->kw[i]); i = (i + 1) & (LEX_KWCAP - 1)) {
		if (k->cls != cls || k->len != n || k->name[0] != s[0]) continue;
		int j = 1;
		while (j < n && k->name[j] == s[j]) j++;   /* short: no call to memcmp */
		if (j == n) return k;
	}
	return NULL;
}

/*
** Mnemonics and registers come from the x86 table's names, so the parser
** cannot accept a spelling the table does not have.  The generated entries
** (with their names) live in the arena.
*/
static void kw_gen(Lexer *lx, int cls, const char *name, int tok, int a, int b)
{
	Keyword *k = arena_alloc(&lx->as->arena, sizeof *k);
	size_t n = strlen(name);
	k->name = arena_strdup(&lx->as->arena, name, n);
	k->len = (uint8_t)n;
	k->cls = (uint8_t)cls;
	k->tok = (uint16_t)tok;
	k->a = a;
	k->b = b;
	kw_put(lx, k);
}

static void kw_init(Lexer *lx)
{
	static const char *const fam[] = { "j", "set", "cmov" };
	static const char *const ccs[] = {
		"o", "no", "b", "c", "nae", "ae", "nb", "nc", "e", "z", "ne", "nz", "be", "na",
		"a", "nbe", "s", "ns", "p", "pe", "np", "po", "l", "nge", "ge", "nl", "le",
		"ng", "g", "nle",
	};
	for (size_t i = 0; i < sizeof keywords / sizeof keywords[0]; i++) kw_put(lx, &keywords[i]);
	for (int m = 1; m < MN_COUNT; m++)
		if (m != MN_SETCC && m != MN_CMOVCC && m != MN_JCC)
			kw_gen(lx, KW_STMT, x86_mnem_name(m), MNEM, m, 0);
	kw_gen(lx, KW_STMT, "sal", MNEM, MN_SHL, 0);
	for (int f = 0; f < 3; f++)
		for (size_t i = 0; i < sizeof ccs / sizeof ccs[0]; i++) {
			char buf[16];
			int cc, len = snprintf(buf, sizeof buf, "%s%s", fam[f], ccs[i]);
			int m = x86_lookup_mnem(buf, len, &cc);
			kw_gen(lx, KW_STMT, buf, MNEM, m, cc);
		}
	for (int size = S8; size <= S64; size *= 2)
		for (int r = 0; r < 16; r++) {
			kw_gen(lx, KW_OPER, x86_reg_name(r, size), REG, r, size);
			kw_gen(lx, KW_TYPE, x86_reg_name(r, size), REG, r, size);
		}
	kw_gen(lx, KW_OPER, "rip", REG, R_RIP, S64);
}

/* ---- errors ---- */

static const char *tok_name(yysymbol_kind_t k)
{
	return yysymbol_name(k);
}

/*
** "unexpected X; expected Y or Z".  A lookahead that is the lexer's own
** error token was already reported, so stay quiet about it.
*/
static int yyreport_syntax_error(const yypcontext_t *ctx, yyscan_t scanner, Lexer *lx)
{
	yysymbol_kind_t la = yypcontext_token(ctx);
	if (la == YYSYMBOL_T_ERROR) return 0;
	yysymbol_kind_t exp[5];
	int n = yypcontext_expected_tokens(ctx, exp, 5);
	char buf[256];
	size_t at = 0;
	at += (size_t)snprintf(buf, sizeof buf, "syntax error: unexpected %s", tok_name(la));
	if (n > 0 && n < 5) {
		for (int i = 0; i < n && at < sizeof buf; i++)
			at += (size_t)snprintf(buf + at, sizeof buf - at, "%s%s",
			                       i == 0 ? "; expected " : i == n - 1 ? " or " : ", ",
			                       tok_name(exp[i]));
	}
	diag_error(lx->as->diag, P(*yypcontext_location(ctx)), "%s", buf);
	return 0;
}

static void yyerror(ASM_YYLTYPE *loc, yyscan_t scanner, Lexer *lx, const char *msg)
{
	if (strstr(msg, "memory exhausted"))
		diag_error(lx->as->diag, P(*loc), "input nested too deeply");
	else
		diag_error(lx->as->diag, P(*loc), "%s", msg);
}

/* ---- expressions ---- */

static int has_regs(Expr e) { return e.base != R_NONE || e.index != R_NONE; }

static Expr bad_expr(void) { Expr e = num(0); e.bad = 1; return e; }

/* A register term.  Only a lone register may stand as an operand. */
static Expr reg_expr(Lexer *lx, ASM_YYLTYPE loc, Word r)
{
	if (r.a == -2) {
		ERR(loc, "high-byte registers (ah, bh, ch, dh) are not supported");
		return bad_expr();
	}
	Expr e = num(0);
	e.base = (uint8_t)r.a;
	e.bsize = (uint8_t)r.b;
	e.bare = 1;
	return e;
}

/* index = reg * k */
static Expr scaled(Lexer *lx, ASM_YYLTYPE loc, Expr r, Expr k)
{
	if (!r.bare || has_regs(k) || k.sym) {
		ERR(loc, "only a register can be scaled, by 1, 2, 4 or 8");
		return bad_expr();
	}
	if (k.v != 1 && k.v != 2 && k.v != 4 && k.v != 8) {
		ERR(loc, "scale must be 1, 2, 4 or 8");
		return bad_expr();
	}
	if (r.base == R_RIP) {
		ERR(loc, "rip cannot be an index register");
		return bad_expr();
	}
	Expr e = num(0);
	e.index = r.base;
	e.isize = r.bsize;
	e.scale = (uint8_t)k.v;
	return e;
}

/* The registers of a sum: at most a base and an index. */
static int add_regs(Lexer *lx, ASM_YYLTYPE loc, Expr *r, Expr b)
{
	if (b.base != R_NONE) {
		if (r->base == R_NONE) r->base = b.base, r->bsize = b.bsize;
		else if (r->index == R_NONE) r->index = b.base, r->isize = b.bsize, r->scale = 1;
		else goto many;
	}
	if (b.index != R_NONE) {
		if (r->index == R_NONE) r->index = b.index, r->isize = b.isize, r->scale = b.scale;
		else if (r->scale == 1 && r->base == R_NONE) {
			r->base = r->index, r->bsize = r->isize;
			r->index = b.index, r->isize = b.isize, r->scale = b.scale;
		} else goto many;
	}
	return 1;
many:
	ERR(loc, "too many registers in a memory operand");
	return 0;
}

/* Constant folding; a label may only be offset by a constant. */
static Expr binop(Lexer *lx, ASM_YYLTYPE loc, int op, Expr a, Expr b)
{
	Expr r = num(0);
	uint64_t x = (uint64_t)a.v, y = (uint64_t)b.v;
	if (a.bad || b.bad) return bad_expr();
	if (op == '*' && has_regs(a) && !has_regs(b)) return scaled(lx, loc, a, b);
	if (op == '*' && has_regs(b) && !has_regs(a)) return scaled(lx, loc, b, a);
	if ((has_regs(a) || has_regs(b)) && op != '+' && !(op == '-' && !has_regs(b))) {
		ERR(loc, "registers can only be added, or scaled by 1, 2, 4 or 8");
		return bad_expr();
	}
	if ((a.sym || b.sym) && !((op == '+' && !(a.sym && b.sym)) || (op == '-' && !b.sym))) {
		ERR(loc, "a label can only be offset by a constant (label + n, label - n)");
		return bad_expr();
	}
	r.sym = a.sym ? a.sym : b.sym;
	switch (op) {
	case '+': r.v = (int64_t)(x + y); break;
	case '-': r.v = (int64_t)(x - y); break;
	case '*': r.v = (int64_t)(x * y); break;
	case '|': r.v = (int64_t)(x | y); break;
	case '^': r.v = (int64_t)(x ^ y); break;
	case '&': r.v = (int64_t)(x & y); break;
	case 'L': case 'R':
		if (b.v < 0 || b.v > 63) { ERR(loc, "shift count %lld is out of range 0..63", (long long)b.v); return bad_expr(); }
		r.v = op == 'L' ? (int64_t)(x << b.v) : a.v >> b.v;
		break;
	case '/': case '%':
		if (b.v == 0) { ERR(loc, "division by zero in a constant expression"); return bad_expr(); }
		if (a.v == INT64_MIN && b.v == -1) r.v = op == '/' ? INT64_MIN : 0;
		else r.v = op == '/' ? a.v / b.v : a.v % b.v;
		break;
	}
	if (has_regs(a)) {
		r.base = a.base, r.bsize = a.bsize, r.index = a.index, r.isize = a.isize, r.scale = a.scale;
		if (!add_regs(lx, loc, &r, b)) return bad_expr();
	} else if (has_regs(b) && !add_regs(lx, loc, &r, b)) {
		return bad_expr();
	}
	return r;
}

static Expr name_expr(Lexer *lx, ASM_YYLTYPE loc, Word w)
{
	const char *at = memchr(w.s, '@', (size_t)w.len);
	if (at) {
		/* name@PLT is what every call gets anyway; no other specifier is position-independent */
		if (w.s + w.len - at == 4 && memcmp(at, "@PLT", 4) == 0) w.len -= 4;
		else {
			ERR(loc, "relocation specifier '%.*s' is not supported", (int)(w.s + w.len - at), at);
			return bad_expr();
		}
	}
	Sym *s = as_sym(lx->as, w.s, (uint32_t)w.len);
	if (s->is_equ) return num(s->value);
	if (!s->used && !s->defined) s->pos = P(loc);
	s->used = 1;
	Expr e = num(0);
	e.sym = s;
	return e;
}

/* ---- operands ---- */

static void add_op(Lexer *lx, ASM_YYLTYPE loc, Operand o)
{
	if (lx->nops == 3) ERR(loc, "too many operands");
	if (lx->nops < 3) lx->op[lx->nops] = o;
	if (lx->nops < 4) lx->nops++;
}

static Operand op_reg(Lexer *lx, ASM_YYLTYPE loc, Word r)
{
	Operand o;
	memset(&o, 0, sizeof o);
	o.pos = P(loc);
	if (r.a == -2) {
		ERR(loc, "high-byte registers (ah, bh, ch, dh) are not supported");
		return o;
	}
	if (r.a == R_RIP) {
		ERR(loc, "rip can only be used as a memory base, as in [rip + label]");
		return o;
	}
	o.kind = OP_REG;
	o.reg = (uint8_t)r.a;
	o.size = (uint8_t)r.b;
	return o;
}

/* An operand outside brackets: a register, or an immediate (a label for branches). */
static Operand op_value(Lexer *lx, ASM_YYLTYPE loc, Expr e)
{
	Operand o;
	memset(&o, 0, sizeof o);
	o.pos = P(loc);
	if (e.bad) return o;
	if (e.bare) {
		Word w = { x86_reg_name(e.base, e.bsize), 3, e.base, e.bsize };
		return op_reg(lx, loc, w);
	}
	if (has_regs(e)) {
		ERR(loc, "registers in an address must be inside brackets: [...]");
		return o;
	}
	o.kind = OP_IMM;
	o.val = e.v;
	o.sym = e.sym;
	return o;
}

/*
** The finished address.  Only what is position-independent survives: a
** label needs rip as the base, and there are no absolute addresses.
*/
static Operand op_mem(Lexer *lx, ASM_YYLTYPE loc, int size, Expr m)
{
	Operand o;
	memset(&o, 0, sizeof o);
	o.pos = P(loc);
	if (m.bad) return o;
	if ((m.base != R_NONE && m.base != R_RIP && m.bsize != S64) || (m.index != R_NONE && m.isize != S64)) {
		ERR(loc, "address registers must be 64-bit");
		return o;
	}
	if (m.index == R_RSP && m.scale == 1 && m.base != R_RSP) {
		uint8_t t = m.base; m.base = m.index; m.index = t;
	}
	if (m.index == R_RSP) { ERR(loc, "rsp cannot be an index register"); return o; }
	if (m.index == R_RIP) { ERR(loc, "rip can only be a base, alone: [rip + disp]"); return o; }
	if (m.base == R_RIP && m.index != R_NONE) {
		ERR(loc, "a rip-relative operand cannot have an index register");
		return o;
	}
	if (m.base == R_NONE && m.index == R_NONE) {
		ERR(loc, "absolute memory operand: address data relative to rip, as in [rip + %s]",
		    m.sym ? m.sym->name : "label");
		return o;
	}
	if (m.sym && m.base != R_RIP) {
		ERR(loc, "a label in a memory operand needs rip as the base: [rip + %s]", m.sym->name);
		return o;
	}
	if (m.v < INT32_MIN || m.v > INT32_MAX) {
		ERR(loc, "displacement %lld does not fit in 32 bits", (long long)m.v);
		return o;
	}
	o.kind = OP_MEM;
	o.size = (uint8_t)size;
	o.base = m.base;
	o.index = m.index;
	o.scale = m.index == R_NONE ? 0 : m.scale;
	o.val = m.v;
	o.sym = m.sym;
	return o;
}

/* ---- statements ---- */

static void instruction(Lexer *lx, ASM_YYLTYPE loc, Word mn)
{
	Inst in;
	int n = lx->nops;
	lx->nops = 0;
	if (n > 3 || (loc.line == lx->bad_line && loc.file == lx->bad_file)) return;
	for (int i = 0; i < n; i++)
		if (lx->op[i].kind == OP_NONE) return;   /* already reported */
	in.mnem = (uint8_t)mn.a;
	in.cc = (uint8_t)mn.b;
	in.pos = P(loc);
	in.nops = (uint8_t)n;
	memcpy(in.op, lx->op, sizeof in.op);
	as_inst(lx->as, &in);
}

/* Instructions people will try that the language leaves out on purpose. */
static const char *const not_in_subset[] = {
	"syscall", "sysenter", "sysexit", "sysret", "int", "int3", "into", "iret", "iretq",
	"hlt", "cli", "sti", "in", "out", "ins", "outs", "lgdt", "lidt", "lldt", "ltr",
	"sgdt", "sidt", "invlpg", "wrmsr", "rdmsr", "cpuid", "rdtsc", "rdtscp", "rdpmc",
	"movs", "movsb", "movsq", "stos", "stosb", "stosq", "lods", "lodsb", "cmpsb",
	"scasb", "rep", "repe", "repne", "lock", "enter", "leave", "loop", "jrcxz",
	"pushf", "popf", "pushfq", "popfq", "lahf", "sahf", "ud2", "xlat", "bt", "bts",
	"btr", "btc", "bsf", "bsr", "cmpxchg", "xadd", "retf", "cdqe", "cwd",
	"cbw", "cwde", "shld", "shrd", "rcl", "rcr", "wait", "pause", "clflush", "mfence",
	"lfence", "sfence", "swapgs", "wbinvd", "invd", "lmsw", "clts",
};

static void unknown_statement(Lexer *lx, ASM_YYLTYPE loc, Word w)
{
	lx->nops = 0;
	if (w.len == 8 && memcmp(w.s, ".include", 8) == 0) {
		ERR(loc, ".include takes a file name in double quotes");
		return;
	}
	if (w.s[0] == '.') {
		ERR(loc, "unknown directive '%.*s'", w.len > 64 ? 64 : w.len, w.s);
		return;
	}
	for (size_t i = 0; i < sizeof not_in_subset / sizeof not_in_subset[0]; i++)
		if ((int)strlen(not_in_subset[i]) == w.len && strncasecmp(not_in_subset[i], w.s, (size_t)w.len) == 0) {
			ERR(loc, "instruction '%.*s' is not in the accepted subset (see docs/language.md)", w.len, w.s);
			return;
		}
	ERR(loc, "unknown instruction '%.*s'", w.len > 64 ? 64 : w.len, w.s);
}

/* Registers have no place outside instruction operands. */
static int no_regs(Lexer *lx, ASM_YYLTYPE loc, Expr e)
{
	if (e.bad) return 0;
	if (!has_regs(e)) return 1;
	ERR(loc, "a register is not a constant");
	return 0;
}

static void data_item(Lexer *lx, ASM_YYLTYPE loc, Expr e)
{
	if (!no_regs(lx, loc, e)) return;
	as_data(lx->as, P(loc), lx->width, e.v, e.sym);
}

static void ascii(Lexer *lx, ASM_YYLTYPE loc, Str s)
{
	as_bytes(lx->as, P(loc), s.s, (uint32_t)s.len);
	if (lx->asciz) as_bytes(lx->as, P(loc), "", 1);
}

static void section(Lexer *lx, ASM_YYLTYPE loc, Word w)
{
	static const struct { const char *name; int id; } known[] = {
		{ ".text", SEC_TEXT }, { ".rodata", SEC_RODATA }, { ".data", SEC_DATA },
		{ ".bss", SEC_BSS }, { ".note.GNU-stack", SEC_NONE },
	};
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		size_t n = strlen(known[i].name);
		if ((size_t)w.len == n && memcmp(w.s, known[i].name, n) == 0) { lx->as->cur = known[i].id; return; }
	}
	if (w.len > 8 && memcmp(w.s, ".rodata.", 8) == 0) { lx->as->cur = SEC_RODATA; return; }
	ERR(loc, "unsupported section '%.*s' (use .text, .rodata, .data or .bss)", w.len > 64 ? 64 : w.len, w.s);
}

static void equ(Lexer *lx, ASM_YYLTYPE loc, Word name, Expr e)
{
	if (!no_regs(lx, loc, e)) return;
	if (e.sym) { ERR(loc, "the value of '%.*s' must be a constant", name.len, name.s); return; }
	Sym *s = as_sym(lx->as, name.s, (uint32_t)name.len);
	if (s->defined) { ERR(loc, "'%s' is already defined as a label", s->name); return; }
	if (s->used && !s->is_equ) { ERR(loc, "'%s' is used before its value is set", s->name); return; }
	if (s->global || s->external) { ERR(loc, "'%s' is declared a global label; a constant cannot be", s->name); return; }
	s->is_equ = 1;
	s->value = e.v;
	s->pos = P(loc);
}

static void align(Lexer *lx, ASM_YYLTYPE loc, int kind, Expr n, Expr *fill, Expr *max)
{
	if (!no_regs(lx, loc, n) || (fill && !no_regs(lx, loc, *fill)) || (max && !no_regs(lx, loc, *max))) return;
	if (n.sym || (fill && fill->sym) || (max && max->sym)) { ERR(loc, "alignment must be a constant"); return; }
	int p2 = 0;
	if (kind == 1) {
		if (n.v < 0 || n.v > 12) { ERR(loc, "alignment 2^%lld is out of range (at most 2^12)", (long long)n.v); return; }
		p2 = (int)n.v;
	} else {
		if (n.v <= 0 || n.v > 4096 || (n.v & (n.v - 1))) {
			ERR(loc, "alignment %lld is not a power of two up to 4096", (long long)n.v);
			return;
		}
		while ((1 << p2) < n.v) p2++;
	}
	if (fill && (fill->v < -128 || fill->v > 255)) { ERR(loc, "fill value does not fit in a byte"); return; }
	if (max && (max->v < 0 || max->v > 4096)) { ERR(loc, "maximum skip is out of range"); return; }
	as_align(lx->as, P(loc), p2, fill ? (int)(fill->v & 0xff) : -1, max ? (uint32_t)max->v : 0);
}

static void space(Lexer *lx, ASM_YYLTYPE loc, Expr n, Expr fill)
{
	if (!no_regs(lx, loc, n) || !no_regs(lx, loc, fill)) return;
	if (n.sym || fill.sym) { ERR(loc, "size must be a constant"); return; }
	if (n.v < 0 || n.v > (1 << 30)) { ERR(loc, "size %lld is out of range (0 to 2^30)", (long long)n.v); return; }
	if (fill.v < -128 || fill.v > 255) { ERR(loc, "fill value does not fit in a byte"); return; }
	as_space(lx->as, P(loc), (uint32_t)n.v, (int)(fill.v & 0xff));
}

static void global(Lexer *lx, ASM_YYLTYPE loc, Word name)
{
	Sym *s = as_sym(lx->as, name.s, (uint32_t)name.len);
	if (s->is_equ) { ERR(loc, "'%s' is a constant, not a label", s->name); return; }
	if (lx->width) s->external = 1;   /* .extern */
	else s->global = 1;
	if (!s->defined && !s->used) s->pos = P(loc);
}

static void syntax(Lexer *lx, ASM_YYLTYPE loc, Word d, Word *arg)
{
	if (d.a == 1) ERR(loc, "AT&T syntax is not supported; write Intel syntax (.intel_syntax noprefix)");
	else if (!arg || arg->len != 8 || memcmp(arg->s, "noprefix", 8) != 0)
		ERR(loc, "only '.intel_syntax noprefix' is supported");
}

/* ---- types ---- */

static TList tl_one(Lexer *lx, TyId t)
{
	TList l = tl_empty(lx);
	return tl_add(lx, l, t);
}

/* Lists live on top of the scratch stack, so a list is only extended at the top. */
static TList tl_add(Lexer *lx, TList l, TyId t)
{
	lx->tstk = xgrow(lx->tstk, sizeof *lx->tstk, lx->ntstk + 1, &lx->captstk);
	lx->tstk[lx->ntstk++] = t;
	l.n++;
	return l;
}

/*
** Make a node from kids on the scratch stack and pop them.  A kid that is 0
** came from an error already reported; the parent quietly becomes 0 too.
** A node whose kids have the wrong sorts is reported here, where the
** position is still known.
*/
static TyId tnode(Lexer *lx, ASM_YYLTYPE loc, int kind, int flags, StrId name, int64_t v, TList kids)
{
	static const TyId none[1];
	const TyId *k = kids.n ? lx->tstk + kids.start : none;   /* (no list yet: tstk is NULL) */
	lx->ntstk = kids.start;
	for (uint32_t i = 0; i < kids.n; i++)
		if (!k[i]) return 0;
	TyId id = ty_node(&lx->as->types, kind, flags, name, v, k, (int)kids.n);
	if (!id) { ERR(loc, "type is too large"); return 0; }
	const char *why = ty_check_node(&lx->as->types, id);
	if (why) { ERR(loc, "%s", why); return 0; }
	return id;
}

static TyId tnode1(Lexer *lx, ASM_YYLTYPE loc, int kind, int flags, StrId name, TyId a)
{
	return tnode(lx, loc, kind, flags, name, 0, tl_one(lx, a));
}

static TyId tnode2(Lexer *lx, ASM_YYLTYPE loc, int kind, TyId a, TyId b)
{
	return tnode(lx, loc, kind, 0, 0, 0, tl_add(lx, tl_one(lx, a), b));
}

static TyId tconst(Lexer *lx, ASM_YYLTYPE loc, int64_t v)
{
	return tnode(lx, loc, TY_ICONST, 0, 0, v, tl_empty(lx));
}

/* A name is a variable if a binder in scope has it, else a type name. */
static TyId tname(Lexer *lx, ASM_YYLTYPE loc, Word w, TList args)
{
	StrId s = wstr(lx, w);
	if (args.n == 0)
		for (uint32_t i = lx->nscope; i-- > 0;)
			if (lx->scope[i] == s) return tnode(lx, loc, TY_VAR, 0, s, 0, args);
	return tnode(lx, loc, TY_NAME, 0, s, 0, args);
}

static void scope_push(Lexer *lx, StrId name)
{
	lx->scope = xgrow(lx->scope, sizeof *lx->scope, lx->nscope + 1, &lx->capscope);
	lx->scope[lx->nscope++] = name;
}

/*
** A list of binders names each variable once (the checker refuses a type
** that binds one twice), and a record each field: a field is reached by
** its offset, so a second one of the same name is a mistake that no
** access would tell.  `field`: b is a record's field, else a binder.
*/
static TyId named_once(Lexer *lx, ASM_YYLTYPE loc, TList earlier, TyId b, int field)
{
	StrId name = b ? ty_get(&lx->as->types, b)->name : 0;
	for (uint32_t i = 0; name && i < earlier.n; i++) {
		TyId e = lx->tstk[earlier.start + i];
		if (e && ty_get(&lx->as->types, e)->name == name) {
			ERR(loc, field ? "a record names its field '%s' twice" : "'%s' is bound twice in one list of binders", ty_strof(&lx->as->types, name));
			break;
		}
	}
	return b;
}

static TList in_scope(Lexer *lx, TList b)
{
	for (uint32_t i = 0; i < b.n; i++) {
		TyId id = lx->tstk[b.start + i];
		scope_push(lx, id ? ty_get(&lx->as->types, id)->name : 0);
	}
	b.nb = b.n;
	return b;
}

static int reg64(Lexer *lx, ASM_YYLTYPE loc, Word r)
{
	if (r.a < 0 || r.a > 15 || r.b != S64) {
		ERR(loc, "register types name 64-bit registers (%.*s is not one)", r.len, r.s);
		return 0;
	}
	return r.a;
}

static Operand slot(Lexer *lx, ASM_YYLTYPE loc, Word r, int64_t disp)
{
	Operand o = op_reg(lx, loc, r);
	if (o.kind != OP_REG) return o;
	if (o.reg != R_RSP || o.size != S64) {
		ERR(loc, "a stack slot is written [rsp + n]");
		o.kind = OP_NONE;
		return o;
	}
	if (disp < 0 || disp > INT32_MAX || (disp & 7)) {
		ERR(loc, "a stack slot offset must be a multiple of 8 between 0 and 2^31");
		o.kind = OP_NONE;
		return o;
	}
	o.kind = OP_MEM;
	o.base = R_RSP;
	o.val = disp;
	return o;
}

static void decl(Lexer *lx, ASM_YYLTYPE loc, int kind, Word name, TyId type)
{
	if (kind != E_EXPORT && !type) return;
	as_decl(lx->as, P(loc), kind, name.s, (uint32_t)name.len, type);
}

static void typedef_decl(Lexer *lx, ASM_YYLTYPE loc, Word name, TList params, TyId body)
{
	if (memchr(name.s, '.', (size_t)name.len)) {
		ERR(loc, "a type name cannot contain '.'");
		lx->ntstk = params.start;
		return;
	}
	for (uint32_t i = 0; i < params.n; i++)
		if (!lx->tstk[params.start + i]) { lx->ntstk = params.start; return; }
	if (body) params = tl_add(lx, params, body);
	TyId t = tnode(lx, loc, TY_LIST, 0, 0, 0, params);
	if (t) as_decl(lx->as, P(loc), E_TYPEDEF, name.s, (uint32_t)name.len, t);
}

static void coerce(Lexer *lx, ASM_YYLTYPE loc, int op, Operand where, TyId type, TyId args)
{
	static const char *const form[] = {
		"", ".fold loc, type", ".unfold loc", ".pack loc, type, [witnesses]",
		".unpack loc, [names]", ".inst loc, [arguments]", ".subsume loc, type",
	};
	int want_type = op == A_FOLD || op == A_PACK || op == A_SUBSUME;
	int want_args = op == A_PACK || op == A_UNPACK || op == A_INST;
	if (where.kind == OP_NONE) return;
	if (where.kind == OP_REG && where.size != S64) {
		ERR(loc, "coercions apply to 64-bit registers or stack slots");
		return;
	}
	if ((want_type != (type != 0)) || (want_args != (args != 0))) {
		ERR(loc, "this coercion is written %s", form[op]);
		return;
	}
	as_coerce(lx->as, P(loc), op, where.kind == OP_REG ? L_REG : L_STACK,
	          where.kind == OP_REG ? where.reg : R_RSP, (int32_t)where.val, type, args);
}

/* .inst [arguments]: instantiate the type of the branch or call that follows. */
static void coerce_target(Lexer *lx, ASM_YYLTYPE loc, int op, TyId args)
{
	if (op != A_INST) {
		ERR(loc, "only .inst applies to the target of a branch: write .inst [arguments]");
		return;
	}
	if (args) as_coerce(lx->as, P(loc), op, L_TARGET, 0, 0, 0, args);
}

/* ---- driver ---- */

int as_parse(Asm *as, SrcFile *f)
{
	Lexer *lx = xcalloc(1, sizeof *lx);
	yyscan_t scanner;
	lx->as = as;
	kw_init(lx);
	if (lex_begin(lx, f, &scanner) != 0) {
		diag_fatal(as->diag, "cannot start the scanner");
		free(lx);
		return -1;
	}
	int r = asm_yyparse(scanner, lx);
	lex_end(lx, scanner);
	free(lx->tstk);
	free(lx->scope);
	free(lx);
	return r == 0 && as->diag->errors == 0 ? 0 : -1;
}
