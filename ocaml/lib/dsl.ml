(* The library programs are drawn from: the built-in graph primitives and inventions
   (lambda bodies over earlier entries), each with a log-probability. Every argument of
   every entry has type S -> S (a continuation or a subroutine) and every entry has type
   (S -> S)^arity -> S -> S, so one grammar symbol generates all programs. *)

type primitive =
  | Identity
  | Next_port
  | Prev_port
  | Move
  | Add
  | Push
  | Pop
  | Connect
  | Func
  | If_positions_equal

(* [Argument i] is the i-th argument the invention is applied to. *)
type body = Call of int * body array | Argument of int

type semantics = Primitive of primitive | Invention of body

type production = { name : string; arity : int; semantics : semantics; log_probability : float }

type t = { productions : production array; index : (string, int) Hashtbl.t }

exception Invalid of string

let invalid fmt = Printf.ksprintf (fun message -> raise (Invalid message)) fmt

let base_primitives =
  [
    ("identity", Identity, 0);
    ("next_port", Next_port, 1);
    ("prev_port", Prev_port, 1);
    ("move", Move, 1);
    ("add", Add, 1);
    ("push", Push, 1);
    ("pop", Pop, 1);
    ("connect", Connect, 1);
    ("func", Func, 2);
    ("if_positions_equal", If_positions_equal, 5);
  ]

let type_string arity =
  String.concat "" (List.init arity (fun _ -> "(S -> S) -> ")) ^ "S -> S"

let find dsl name = Hashtbl.find_opt dsl.index name

let log_sum_exp values =
  let top = Array.fold_left max neg_infinity values in
  if top = neg_infinity then top
  else top +. log (Array.fold_left (fun total value -> total +. exp (value -. top)) 0.0 values)

(* Log-probabilities as given need not sum to one; the grammar uses them normalised. *)
let normalise productions =
  let total = log_sum_exp (Array.map (fun production -> production.log_probability) productions) in
  if not (Float.is_finite total) then invalid "the DSL's log-probabilities must include a finite value";
  Array.map (fun production -> { production with log_probability = production.log_probability -. total }) productions

let of_productions productions =
  let productions = normalise (Array.of_list productions) in
  let index = Hashtbl.create 64 in
  Array.iteri
    (fun position production ->
      if Hashtbl.mem index production.name then invalid "the DSL names %S twice" production.name;
      Hashtbl.replace index production.name position)
    productions;
  { productions; index }

(* An invention body in our syntax: (lam ... (lam e)) with de Bruijn $i; with arity a,
   $i is the (a-1-i)-th applied argument. Names resolve among [earlier] entries only. *)
let parse_invention ~(resolve : string -> (int * int) option) ~name (text : string) : int * body =
  let expression = try Sexp.parse text with Sexp.Parse_error message -> invalid "invention %s: %s" name message in
  let rec strip_lambdas arity = function
    | Sexp.List [ Sexp.Atom "lam"; inner ] -> strip_lambdas (arity + 1) inner
    | expression -> (arity, expression)
  in
  let arity, expression = strip_lambdas 0 expression in
  let argument_of_variable atom =
    match int_of_string_opt (String.sub atom 1 (String.length atom - 1)) with
    | Some index when index >= 0 && index < arity -> Argument (arity - 1 - index)
    | _ -> invalid "invention %s: variable %s is not bound by its %d lambda(s)" name atom arity
  in
  let call head arguments =
    match resolve head with
    | None -> invalid "invention %s: unknown name %S (it must be a primitive or an earlier invention)" name head
    | Some (production, expected) ->
        if List.length arguments <> expected then
          invalid "invention %s: %s takes %d argument(s), given %d" name head expected (List.length arguments);
        (production, arguments)
  in
  let rec convert = function
    | Sexp.Atom atom when String.length atom > 1 && atom.[0] = '$' -> argument_of_variable atom
    | Sexp.Atom atom when String.length atom > 0 && atom.[0] = '#' ->
        invalid "invention %s: %s is a stitch abstraction variable; convert the body to (lam ...) form first" name atom
    | Sexp.Atom head ->
        let production, _ = call head [] in
        Call (production, [||])
    | Sexp.List (Sexp.Atom head :: arguments) when head <> "lam" ->
        let production, arguments = call head arguments in
        Call (production, Array.of_list (List.map convert arguments))
    | other -> invalid "invention %s: %s is not a full application of a named entry" name (Sexp.to_string other)
  in
  (arity, convert expression)

let body_to_sexp dsl arity body =
  let rec convert = function
    | Argument index -> Sexp.Atom ("$" ^ string_of_int (arity - 1 - index))
    | Call (production, [||]) -> Sexp.Atom dsl.productions.(production).name
    | Call (production, arguments) ->
        Sexp.List (Sexp.Atom dsl.productions.(production).name :: Array.to_list (Array.map convert arguments))
  in
  let rec wrap depth expression = if depth = 0 then expression else wrap (depth - 1) (Sexp.List [ Sexp.Atom "lam"; expression ]) in
  wrap arity (convert body)

let member name json = Yojson.Safe.Util.member name json

let number_field ~context name json =
  match member name json with
  | `Int value -> float_of_int value
  | `Float value -> value
  | `Null -> invalid "%s: missing %S" context name
  | _ -> invalid "%s: %S must be a number" context name

let string_field ~context name json =
  match member name json with `String value -> value | _ -> invalid "%s: %S must be a string" context name

let list_field name json = match member name json with `List items -> items | `Null -> [] | _ -> invalid "DSL: %S must be a list" name

(* Builds the DSL one entry at a time so that each invention may use the entries before it. *)
let of_json (json : Yojson.Safe.t) : t =
  let entries = ref [] and arities = Hashtbl.create 64 in
  let count = ref 0 in
  let add production =
    if Hashtbl.mem arities production.name then invalid "the DSL names %S twice" production.name;
    Hashtbl.replace arities production.name (!count, production.arity);
    incr count;
    entries := production :: !entries
  in
  List.iter
    (fun entry ->
      let name = string_field ~context:"DSL primitive" "name" entry in
      let context = "DSL primitive " ^ name in
      match List.find_opt (fun (known, _, _) -> known = name) base_primitives with
      | None -> invalid "unknown primitive %S (known: %s)" name (String.concat ", " (List.map (fun (known, _, _) -> known) base_primitives))
      | Some (_, primitive, arity) ->
          (match member "type" entry with
          | `String given when given <> type_string arity -> invalid "%s: type %S, expected %S" context given (type_string arity)
          | _ -> ());
          add { name; arity; semantics = Primitive primitive; log_probability = number_field ~context "log_probability" entry })
    (list_field "primitives" json);
  List.iter
    (fun entry ->
      let name = string_field ~context:"DSL invention" "name" entry in
      let arity, body = parse_invention ~resolve:(Hashtbl.find_opt arities) ~name (string_field ~context:("DSL invention " ^ name) "body" entry) in
      add { name; arity; semantics = Invention body; log_probability = number_field ~context:("DSL invention " ^ name) "log_probability" entry })
    (list_field "inventions" json);
  if !entries = [] then invalid "the DSL has no primitives";
  let dsl = of_productions (List.rev !entries) in
  if not (Array.exists (fun production -> production.arity = 0) dsl.productions) then
    invalid "the DSL needs an entry of arity 0 (e.g. identity) to end programs";
  dsl

let to_json dsl : Yojson.Safe.t =
  let primitives = ref [] and inventions = ref [] in
  Array.iter
    (fun production ->
      match production.semantics with
      | Primitive _ ->
          primitives :=
            `Assoc
              [
                ("name", `String production.name);
                ("type", `String (type_string production.arity));
                ("log_probability", `Float production.log_probability);
              ]
            :: !primitives
      | Invention body ->
          inventions :=
            `Assoc
              [
                ("name", `String production.name);
                ("body", `String (Sexp.to_string (body_to_sexp dsl production.arity body)));
                ("arity", `Int production.arity);
                ("type", `String (type_string production.arity));
                ("log_probability", `Float production.log_probability);
              ]
            :: !inventions)
    dsl.productions;
  `Assoc [ ("primitives", `List (List.rev !primitives)); ("inventions", `List (List.rev !inventions)) ]

let uniform () =
  let n = List.length base_primitives in
  of_productions
    (List.map
       (fun (name, primitive, arity) -> { name; arity; semantics = Primitive primitive; log_probability = -.log (float_of_int n) })
       base_primitives)

(* New inventions start as likely as the most likely existing entry, so that the next
   search tries them early; reweighting from survivors then settles their weight. *)
let add_inventions dsl (inventions : (string * string) list) : t =
  let existing = Array.to_list dsl.productions in
  let top = Array.fold_left (fun best production -> max best production.log_probability) neg_infinity dsl.productions in
  let arities = Hashtbl.create 64 in
  List.iteri (fun position production -> Hashtbl.replace arities production.name (position, production.arity)) existing;
  let count = ref (List.length existing) in
  let added =
    List.map
      (fun (name, text) ->
        if Hashtbl.mem arities name then invalid "invention %S is already in the DSL" name;
        let arity, body = parse_invention ~resolve:(Hashtbl.find_opt arities) ~name text in
        Hashtbl.replace arities name (!count, arity);
        incr count;
        { name; arity; semantics = Invention body; log_probability = top })
      inventions
  in
  of_productions (existing @ added)

(* Weights from how often each entry occurs in [usage]: log(count + pseudocount), with the
   spread between the most and least likely entry compressed to at most [max_diff] nats
   when given, so that a small population cannot shut entries out of the next search. *)
let reweight dsl ~(usage : int array) ~pseudocount ~max_diff =
  let weights = Array.mapi (fun position _ -> log (float_of_int usage.(position) +. pseudocount)) dsl.productions in
  let top = Array.fold_left max neg_infinity weights and bottom = Array.fold_left min infinity weights in
  let weights =
    match max_diff with
    | Some limit when top -. bottom > limit ->
        let scale = limit /. (top -. bottom) in
        Array.map (fun weight -> (weight -. top) *. scale) weights
    | _ -> weights
  in
  of_productions (Array.to_list (Array.mapi (fun position production -> { production with log_probability = weights.(position) }) dsl.productions))
