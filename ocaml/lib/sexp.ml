(* S-expressions as written by stitch and by our DSL files: atoms and parenthesised lists. *)

type t = Atom of string | List of t list

exception Parse_error of string

let is_space c = c = ' ' || c = '\n' || c = '\t' || c = '\r'

let is_delimiter c = c = '(' || c = ')' || is_space c

let parse (text : string) : t =
  let length = String.length text in
  let rec skip_space i = if i < length && is_space text.[i] then skip_space (i + 1) else i in
  let rec parse_at i =
    let i = skip_space i in
    if i >= length then raise (Parse_error (Printf.sprintf "unexpected end of %S" text))
    else if text.[i] = '(' then parse_list (i + 1) []
    else if text.[i] = ')' then raise (Parse_error (Printf.sprintf "unexpected ')' at %d in %S" i text))
    else begin
      let j = ref i in
      while !j < length && not (is_delimiter text.[!j]) do incr j done;
      (Atom (String.sub text i (!j - i)), !j)
    end
  and parse_list i items =
    let i = skip_space i in
    if i >= length then raise (Parse_error (Printf.sprintf "missing ')' in %S" text))
    else if text.[i] = ')' then (List (List.rev items), i + 1)
    else
      let item, next = parse_at i in
      parse_list next (item :: items)
  in
  let expression, next = parse_at 0 in
  if skip_space next <> length then raise (Parse_error (Printf.sprintf "trailing text after the expression in %S" text));
  expression

let rec to_buffer buffer = function
  | Atom name -> Buffer.add_string buffer name
  | List items ->
      Buffer.add_char buffer '(';
      List.iteri (fun index item -> if index > 0 then Buffer.add_char buffer ' '; to_buffer buffer item) items;
      Buffer.add_char buffer ')'

let to_string expression =
  let buffer = Buffer.create 64 in
  to_buffer buffer expression;
  Buffer.contents buffer
