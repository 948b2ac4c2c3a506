"""What `synth kinds` shows of every column kind: generated from synth.columns.KINDS by
`python -m synth.commands.kinds`; do not edit (tests/test_startup.py checks it is current)."""

KIND_FACTS = {'aggregate': {'summary': "A summary of this row's child rows: count(orders), sum(order_items.amount), mean, min or "
                          'max.',
               'doc': "A summary of this row's child rows: count(orders), sum(order_items.amount), mean, min or max.",
               'fields': [('name', 'str', 'required', "The output column's name"),
                          ('nulls', 'float', '0.0', 'Share of rows left empty (0-1)'),
                          ('hidden', 'bool', 'False', 'Made and usable in expressions, but not written'),
                          ('description', 'str | None', 'None', 'Free text for people'),
                          ('expr',
                           'str',
                           'required',
                           'count(TABLE) or sum|mean|min|max(TABLE.COLUMN), TABLE a child table of this one'),
                          ('round', 'int | None', 'None', 'Decimals to round a sum or mean to')],
               'reference': '',
               'example': '\n'
                          '\n'
                          '    tables:\n'
                          '      customers:\n'
                          '        rows: 1000\n'
                          '        columns:\n'
                          '          - {name: customer_id, kind: sequence}\n'
                          '          - {name: n_orders, kind: integer, distribution: poisson, lam: 3, hidden: true}\n'
                          '          - {name: total_spent, kind: aggregate, expr: sum(orders.amount), round: 2}\n'
                          '      products:\n'
                          '        rows: 20\n'
                          '        columns:\n'
                          '          - {name: product_id, kind: sequence}\n'
                          '          - {name: price, kind: float, min: 1, max: 9, round: 2}\n'
                          '      orders:\n'
                          '        columns:\n'
                          '          - {name: customer_id, kind: reference, table: customers, count: n_orders}    # '
                          'the parent\n'
                          '          - {name: product_id, kind: reference, table: products}                        # a '
                          'lookup\n'
                          '          - {name: amount, kind: expression, expr: products.price}\n'
                          '\n'
                          'A reference over several columns (a composite key, ``flights(origin, time_hour) -> '
                          'weather(origin, time_hour)``)\n'
                          'lists them in ``columns`` (its ``name`` is then a label) and, if the referenced table names '
                          'them otherwise, its\n'
                          'key columns in ``key``; it is a lookup (the rows it draws need not be unique by '
                          'construction: a key seen twice\n'
                          'is drawn as its first row). ``orphans: 0.15`` makes that share of keys point at no row '
                          '(real data has them).\n'},
 'boolean': {'summary': '``true`` with probability ``probability``.',
             'doc': '``true`` with probability ``probability``.',
             'fields': [('name', 'str', 'required', "The output column's name"),
                        ('nulls', 'float', '0.0', 'Share of rows left empty (0-1)'),
                        ('hidden', 'bool', 'False', 'Made and usable in expressions, but not written'),
                        ('description', 'str | None', 'None', 'Free text for people'),
                        ('probability', 'float', '0.5', '')],
             'reference': '',
             'example': '\n'
                        '\n'
                        '    - name: payment_type\n'
                        '      kind: choice\n'
                        '      values: {credit: 45, debit: 25, cash: 20, gift card: 10}   # or a list, with optional '
                        'weights: [...]\n'
                        '\n'
                        '    - name: is_member\n'
                        '      kind: boolean\n'
                        '      probability: 0.3\n'},
 'catalog': {'summary': 'A table of records sampled with weights; one entry makes several consistent columns.',
             'doc': 'A table of records sampled with weights; one entry makes several consistent columns.',
             'fields': [('name', 'str', 'required', "The output column's name"),
                        ('nulls', 'float', '0.0', 'Share of rows left empty (0-1)'),
                        ('hidden', 'bool', 'False', 'Made and usable in expressions, but not written'),
                        ('description', 'str | None', 'None', 'Free text for people'),
                        ('records', 'list[dict[str, Any]] | None', 'None', ''),
                        ('source',
                         'str | None',
                         'None',
                         'A table file (CSV with a header row, Parquet, JSON Lines ...) or a database table '
                         '(sqlite:///menu.db#items), relative to the schema'),
                        ('weight', 'str | None', 'None', ''),
                        ('fields', 'list[str] | None', 'None', '')],
             'reference': '',
             'example': '\n'
                        '\n'
                        '    - name: menu\n'
                        '      kind: catalog                # each row picks one record; its fields become columns, '
                        'always consistent\n'
                        '      source: products.csv         # a table beside the schema (any table synth reads), or '
                        'inline: records: [{product: Latte, price: 4.5}, ...]\n'
                        '      weight: popularity           # optional field with sampling weights (not written)\n'
                        '      fields: [product_id, product, price]   # optional: which fields, in this order '
                        '(default: all)\n'
                        '\n'
                        '    - name: email\n'
                        '      kind: faker\n'
                        '      provider: email              # any Faker provider: name, address, company, '
                        'phone_number, bothify ...\n'
                        '      args: {}                     # keyword arguments for the provider\n'
                        '      locale: en_US\n'
                        '      unique: true                 # never repeats (a number is worked in when the provider '
                        'runs out)\n'
                        '\n'
                        'Faker is slow per call (5-100 us), so it is never called per row: a pool of values is made '
                        'once per run\n'
                        "(seeded), and rows pick from it by index. Faker's frequency weighting is off unless "
                        '``weighted: true``:\n'
                        'it makes each call ~10x slower, and a larger pool of distinct values matters more for '
                        'realistic\n'
                        'identity columns than matching how common each first name is. ``unique`` rows map their row '
                        'number through a keyed permutation to a\n'
                        'distinct (pool entry, counter) pair, so uniqueness holds across chunks without any shared '
                        'state.\n'},
 'choice': {'summary': 'One of a fixed set of values, drawn with the given weights (equal weights if none given).',
            'doc': 'One of a fixed set of values, drawn with the given weights (equal weights if none given).\n'
                   '\n'
                   '    In a correlation, values are treated as ordered as listed (the first is "lowest").',
            'fields': [('name', 'str', 'required', "The output column's name"),
                       ('nulls', 'float', '0.0', 'Share of rows left empty (0-1)'),
                       ('hidden', 'bool', 'False', 'Made and usable in expressions, but not written'),
                       ('description', 'str | None', 'None', 'Free text for people'),
                       ('values', 'list[str | int | float | bool] | dict[str, float]', 'required', ''),
                       ('weights', 'list[float] | None', 'None', '')],
            'reference': '',
            'example': '\n'
                       '\n'
                       '    - name: payment_type\n'
                       '      kind: choice\n'
                       '      values: {credit: 45, debit: 25, cash: 20, gift card: 10}   # or a list, with optional '
                       'weights: [...]\n'
                       '\n'
                       '    - name: is_member\n'
                       '      kind: boolean\n'
                       '      probability: 0.3\n'},
 'conditional': {'summary': 'Pick the generator by the value of column ``on`` (calories by product type), or, with '
                            '``cases`` as a',
                 'doc': 'Pick the generator by the value of column ``on`` (calories by product type), or, with '
                        '``cases`` as a\n'
                        '    list, by the first case whose ``when`` holds on the row (price by pizza and size).',
                 'fields': [('name', 'str', 'required', "The output column's name"),
                            ('nulls', 'float', '0.0', 'Share of rows left empty (0-1)'),
                            ('hidden', 'bool', 'False', 'Made and usable in expressions, but not written'),
                            ('description', 'str | None', 'None', 'Free text for people'),
                            ('on', 'str | None', 'None', ''),
                            ('cases',
                             'dict[str | int | float | bool, dict[str, Any]] | list[dict[str, Any]]',
                             'required',
                             ''),
                            ('default', 'dict[str, Any] | None', 'None', '')],
                 'reference': '',
                 'example': '\n'
                            '\n'
                            '    - name: amount\n'
                            '      kind: expression\n'
                            '      expr: round(price * quantity, 2)\n'
                            '\n'
                            '    - name: calories\n'
                            '      kind: conditional         # a different distribution for each value of another '
                            'column\n'
                            '      on: type\n'
                            '      cases:\n'
                            '        drink: {kind: integer, distribution: normal, mean: 150, std: 80, min: 0, max: '
                            '400}\n'
                            '        food: {kind: integer, distribution: normal, mean: 380, std: 100, min: 150, max: '
                            '600}\n'
                            '      default: {kind: integer, distribution: uniform, min: 0, max: 600}   # optional\n'
                            '\n'
                            '    - name: price\n'
                            '      kind: conditional         # cases chosen by conditions on several columns: the '
                            'first that holds\n'
                            '      cases:\n'
                            '        - when: {pizza: [hawaiian, margherita], size: L}        # a value, or a list of '
                            'values (null: empty)\n'
                            '          kind: float\n'
                            '          distribution: weighted\n'
                            '          values: {16.75: 1}\n'
                            '        - when: {carat: {min: 0.5, below: 1.2}, cut: [Ideal]}   # a range of numbers: min '
                            '<= x < below\n'
                            '          kind: float\n'
                            '          distribution: lognormal\n'
                            '          mean: 8.2\n'
                            '          sigma: 0.3\n'
                            '      default: {kind: float, distribution: uniform, min: 5, max: 20}\n'
                            '\n'
                            '``synth fit`` writes the second form: the cases are the leaves of a decision tree over '
                            'the columns the\n'
                            'value depends on, each seen in enough rows to be shared (see ``synth.fit.trees``).\n'},
 'date': {'summary': 'Calendar dates from ``start`` to ``end`` (both included), every ``step`` days.',
          'doc': 'Calendar dates from ``start`` to ``end`` (both included), every ``step`` days.',
          'fields': [('name', 'str', 'required', "The output column's name"),
                     ('nulls', 'float', '0.0', 'Share of rows left empty (0-1)'),
                     ('hidden', 'bool', 'False', 'Made and usable in expressions, but not written'),
                     ('description', 'str | None', 'None', 'Free text for people'),
                     ('format', 'str | None', 'None', "strftime pattern for text output, e.g. '%m/%d/%Y'"),
                     ('hour_profile', 'list[float] | dict[str | int, float] | None', 'None', ''),
                     ('weekday_profile', 'list[float] | dict[str | int, float] | None', 'None', ''),
                     ('month_profile', 'list[float] | dict[str | int, float] | None', 'None', ''),
                     ('trend', 'float', '0.0', 'Yearly growth of the rate: 0.1 = +10% a year'),
                     ('year_profile',
                      'dict[int, float] | None',
                      'None',
                      'Weight per calendar year; years not named weigh 1'),
                     ('start', 'date', 'required', ''),
                     ('end', 'date', 'required', ''),
                     ('step', 'str | int', "'1d'", '')],
          'reference': '',
          'example': '\n'
                     '\n'
                     '    - name: time\n'
                     '      kind: time\n'
                     '      start: "06:00"\n'
                     '      end: "21:00"\n'
                     '      step: 1m                        # 1s, 30s, 1m, 15m, 1h, 1d ...\n'
                     '      hour_profile: {7: 3, 8: 3.5, 9: 2.5, 14: 0.6, 15: 0.6}   # hours not named weigh 1\n'
                     '    - name: date\n'
                     '      kind: date\n'
                     '      start: 2022-01-01\n'
                     '      end: 2022-12-31\n'
                     '      weekday_profile: {sat: 1.3, sun: 1.2}\n'
                     '      month_profile: {dec: 1.4}\n'
                     '      format: "%m/%d/%Y"              # optional; default ISO (a real date type in Parquet)\n'},
 'datetime': {'summary': 'Timestamps from ``start`` to ``end`` (both included) every ``step``, shaped by all three '
                         'profiles.',
              'doc': 'Timestamps from ``start`` to ``end`` (both included) every ``step``, shaped by all three '
                     'profiles.',
              'fields': [('name', 'str', 'required', "The output column's name"),
                         ('nulls', 'float', '0.0', 'Share of rows left empty (0-1)'),
                         ('hidden', 'bool', 'False', 'Made and usable in expressions, but not written'),
                         ('description', 'str | None', 'None', 'Free text for people'),
                         ('format', 'str | None', 'None', "strftime pattern for text output, e.g. '%m/%d/%Y'"),
                         ('hour_profile', 'list[float] | dict[str | int, float] | None', 'None', ''),
                         ('weekday_profile', 'list[float] | dict[str | int, float] | None', 'None', ''),
                         ('month_profile', 'list[float] | dict[str | int, float] | None', 'None', ''),
                         ('trend', 'float', '0.0', 'Yearly growth of the rate: 0.1 = +10% a year'),
                         ('year_profile',
                          'dict[int, float] | None',
                          'None',
                          'Weight per calendar year; years not named weigh 1'),
                         ('start', 'datetime', 'required', ''),
                         ('end', 'datetime', 'required', ''),
                         ('step', 'str | int', "'1s'", ''),
                         ('timezone',
                          'str | None',
                          'None',
                          'IANA time zone (Europe/Paris) of the wall-clock times: Parquet stores them as instants in '
                          'that zone (timestamp with time zone); text formats as before')],
              'reference': '',
              'example': ''},
 'expression': {'summary': 'A value computed row by row from other columns (see ``synth.expr`` for the language).',
                'doc': 'A value computed row by row from other columns (see ``synth.expr`` for the language).',
                'fields': [('name', 'str', 'required', "The output column's name"),
                           ('nulls', 'float', '0.0', 'Share of rows left empty (0-1)'),
                           ('hidden', 'bool', 'False', 'Made and usable in expressions, but not written'),
                           ('description', 'str | None', 'None', 'Free text for people'),
                           ('expr', 'str', 'required', ''),
                           ('type',
                            "Optional[Literal['integer', 'float', 'string', 'boolean']]",
                            'None',
                            'Cast the result to this type')],
                'reference': '',
                'example': '\n'
                           '\n'
                           '    - name: amount\n'
                           '      kind: expression\n'
                           '      expr: round(price * quantity, 2)\n'
                           '\n'
                           '    - name: calories\n'
                           '      kind: conditional         # a different distribution for each value of another '
                           'column\n'
                           '      on: type\n'
                           '      cases:\n'
                           '        drink: {kind: integer, distribution: normal, mean: 150, std: 80, min: 0, max: '
                           '400}\n'
                           '        food: {kind: integer, distribution: normal, mean: 380, std: 100, min: 150, max: '
                           '600}\n'
                           '      default: {kind: integer, distribution: uniform, min: 0, max: 600}   # optional\n'
                           '\n'
                           '    - name: price\n'
                           '      kind: conditional         # cases chosen by conditions on several columns: the first '
                           'that holds\n'
                           '      cases:\n'
                           '        - when: {pizza: [hawaiian, margherita], size: L}        # a value, or a list of '
                           'values (null: empty)\n'
                           '          kind: float\n'
                           '          distribution: weighted\n'
                           '          values: {16.75: 1}\n'
                           '        - when: {carat: {min: 0.5, below: 1.2}, cut: [Ideal]}   # a range of numbers: min '
                           '<= x < below\n'
                           '          kind: float\n'
                           '          distribution: lognormal\n'
                           '          mean: 8.2\n'
                           '          sigma: 0.3\n'
                           '      default: {kind: float, distribution: uniform, min: 5, max: 20}\n'
                           '\n'
                           '``synth fit`` writes the second form: the cases are the leaves of a decision tree over the '
                           'columns the\n'
                           'value depends on, each seen in enough rows to be shared (see ``synth.fit.trees``).\n'},
 'faker': {'summary': 'Realistic text (names, emails, addresses, companies, words...) from a Faker provider.',
           'doc': 'Realistic text (names, emails, addresses, companies, words...) from a Faker provider.',
           'fields': [('name', 'str', 'required', "The output column's name"),
                      ('nulls', 'float', '0.0', 'Share of rows left empty (0-1)'),
                      ('hidden', 'bool', 'False', 'Made and usable in expressions, but not written'),
                      ('description', 'str | None', 'None', 'Free text for people'),
                      ('provider', 'str', 'required', ''),
                      ('args', 'dict[str, Any]', '{}', ''),
                      ('locale', 'str', "'en_US'", ''),
                      ('unique', 'bool', 'False', ''),
                      ('pool',
                       'int',
                       '50000',
                       'Values drawn from Faker once per run (at most the row count); rows pick from them'),
                      ('weighted', 'bool', 'False', "Use Faker's real-world frequency weights (about 10x slower)"),
                      ('common',
                       'dict[str, float]',
                       '{}',
                       'Frequent values with their weights (synth fit: values seen in at least k rows), drawn for a '
                       'common_share of rows; the other rows get Faker values'),
                      ('common_share', 'float', '0.0', 'Share of rows that take a common value')],
           'reference': '',
           'example': '\n'
                      '\n'
                      '    - name: menu\n'
                      '      kind: catalog                # each row picks one record; its fields become columns, '
                      'always consistent\n'
                      '      source: products.csv         # a table beside the schema (any table synth reads), or '
                      'inline: records: [{product: Latte, price: 4.5}, ...]\n'
                      '      weight: popularity           # optional field with sampling weights (not written)\n'
                      '      fields: [product_id, product, price]   # optional: which fields, in this order (default: '
                      'all)\n'
                      '\n'
                      '    - name: email\n'
                      '      kind: faker\n'
                      '      provider: email              # any Faker provider: name, address, company, phone_number, '
                      'bothify ...\n'
                      '      args: {}                     # keyword arguments for the provider\n'
                      '      locale: en_US\n'
                      '      unique: true                 # never repeats (a number is worked in when the provider '
                      'runs out)\n'
                      '\n'
                      'Faker is slow per call (5-100 us), so it is never called per row: a pool of values is made once '
                      'per run\n'
                      "(seeded), and rows pick from it by index. Faker's frequency weighting is off unless ``weighted: "
                      'true``:\n'
                      'it makes each call ~10x slower, and a larger pool of distinct values matters more for '
                      'realistic\n'
                      'identity columns than matching how common each first name is. ``unique`` rows map their row '
                      'number through a keyed permutation to a\n'
                      'distinct (pool entry, counter) pair, so uniqueness holds across chunks without any shared '
                      'state.\n'},
 'float': {'summary': 'Real numbers, optionally rounded to ``round`` decimals.',
           'doc': 'Real numbers, optionally rounded to ``round`` decimals.',
           'fields': [('name', 'str', 'required', "The output column's name"),
                      ('nulls', 'float', '0.0', 'Share of rows left empty (0-1)'),
                      ('hidden', 'bool', 'False', 'Made and usable in expressions, but not written'),
                      ('description', 'str | None', 'None', 'Free text for people'),
                      ('distribution',
                       'str',
                       "'uniform'",
                       "A family of `synth kinds float`'s list below; its parameters go beside it"),
                      ('min', 'float | None', 'None', ''),
                      ('max', 'float | None', 'None', ''),
                      ('unique', 'bool', 'False', ''),
                      ('round',
                       'int | None',
                       'None',
                       'Decimals to round to; Parquet then stores exact decimals of this scale')],
           'reference': 'Distributions (`distribution:`), with the parameters each takes beside it:\n'
                        '- uniform: Every value between min and max equally likely (needs min and max).\n'
                        '- normal (mean, std): The bell curve around mean, std wide.\n'
                        '- lognormal (mu, sigma): A long right tail: the logarithm of the value is normal with mean mu '
                        'and std sigma.\n'
                        '- exponential (scale; optional loc): Waiting times: most values small, mean scale (above loc, '
                        'default 0).\n'
                        '- gamma (shape, scale; optional loc): Positive and skewed: shape (1 is exponential, larger is '
                        'more bell-like) times scale (above loc).\n'
                        '- beta (a, b; optional loc, scale): Shares and rates between 0 and 1 (or loc .. loc + scale), '
                        'shaped by a and b.\n'
                        '- triangular (left, mode, right): From left to right, most likely at mode (left <= mode <= '
                        'right).\n'
                        '- poisson (lam): Counts of events, lam on average: 0, 1, 2, ...\n'
                        '- weighted (values; optional weights, tails): Listed values with weights: values {value: '
                        'weight} (or values [..], weights [..]); tails: rows spread past them.\n'
                        '- quantiles (quantiles): Any shape, as values at evenly spaced probabilities 0..1 (quantiles '
                        '[..], increasing), straight lines between.',
           'example': '\n'
                      '\n'
                      '    - name: price\n'
                      '      kind: float\n'
                      '      distribution: lognormal   # or any in synth/columns/distributions.py (`synth kinds float` '
                      'lists them)\n'
                      "      mu: 1.2                   # the family's own parameters (its Params model), beside "
                      '`distribution`\n'
                      '      sigma: 0.4\n'
                      '      min: 1\n'
                      '      max: 20\n'
                      '      round: 2\n'},
 'integer': {'summary': 'Whole numbers. Continuous distributions are rounded to the nearest integer within min..max.',
             'doc': 'Whole numbers. Continuous distributions are rounded to the nearest integer within min..max.',
             'fields': [('name', 'str', 'required', "The output column's name"),
                        ('nulls', 'float', '0.0', 'Share of rows left empty (0-1)'),
                        ('hidden', 'bool', 'False', 'Made and usable in expressions, but not written'),
                        ('description', 'str | None', 'None', 'Free text for people'),
                        ('distribution',
                         'str',
                         "'uniform'",
                         "A family of `synth kinds float`'s list below; its parameters go beside it"),
                        ('min', 'float | None', 'None', ''),
                        ('max', 'float | None', 'None', ''),
                        ('unique', 'bool', 'False', '')],
             'reference': 'Distributions (`distribution:`), with the parameters each takes beside it:\n'
                          '- uniform: Every value between min and max equally likely (needs min and max).\n'
                          '- normal (mean, std): The bell curve around mean, std wide.\n'
                          '- lognormal (mu, sigma): A long right tail: the logarithm of the value is normal with mean '
                          'mu and std sigma.\n'
                          '- exponential (scale; optional loc): Waiting times: most values small, mean scale (above '
                          'loc, default 0).\n'
                          '- gamma (shape, scale; optional loc): Positive and skewed: shape (1 is exponential, larger '
                          'is more bell-like) times scale (above loc).\n'
                          '- beta (a, b; optional loc, scale): Shares and rates between 0 and 1 (or loc .. loc + '
                          'scale), shaped by a and b.\n'
                          '- triangular (left, mode, right): From left to right, most likely at mode (left <= mode <= '
                          'right).\n'
                          '- poisson (lam): Counts of events, lam on average: 0, 1, 2, ...\n'
                          '- weighted (values; optional weights, tails): Listed values with weights: values {value: '
                          'weight} (or values [..], weights [..]); tails: rows spread past them.\n'
                          '- quantiles (quantiles): Any shape, as values at evenly spaced probabilities 0..1 '
                          '(quantiles [..], increasing), straight lines between.',
             'example': ''},
 'listed': {'summary': 'The first ``len(values)`` rows take ``values`` in order; every other row is made by ``rest``.',
            'doc': 'The first ``len(values)`` rows take ``values`` in order; every other row is made by ``rest``.',
            'fields': [('name', 'str', 'required', "The output column's name"),
                       ('nulls', 'float', '0.0', 'Share of rows left empty (0-1)'),
                       ('hidden', 'bool', 'False', 'Made and usable in expressions, but not written'),
                       ('description', 'str | None', 'None', 'Free text for people'),
                       ('values', 'list[str | int | float]', 'required', "The first rows' values, in row order"),
                       ('rest',
                        'dict[str, Any]',
                        'required',
                        "A column spec (without a name) that makes every other row's value")],
            'reference': '',
            'example': '\n'
                       '\n'
                       '    - name: faa\n'
                       '      kind: listed\n'
                       '      values: [ATL, ORD, LAX]                 # rows 1, 2 and 3, in this order\n'
                       '      rest: {kind: pattern, patterns: ["???"], unique: true}   # every other row\n'
                       '\n'
                       'With a unique ``rest`` (``sequence``, ``uuid``, or ``unique: true``) the column is unique too: '
                       'a rest value equal to\n'
                       "a listed one is replaced by the rest value of that listed value's own row (which the listed "
                       'value took), and so on\n'
                       'until a value no listed one equals; that walk is a bijection, so no value repeats, and every '
                       'chunk computes it\n'
                       "alone from the first rows' rest values.\n"
                       '\n'
                       '>>> import synth\n'
                       '>>> schema = synth.Schema.from_dict({"name": "t", "rows": 5, "columns": [\n'
                       '...     {"name": "code", "kind": "listed", "values": ["0001", "0002"],\n'
                       '...      "rest": {"kind": "pattern", "patterns": ["000#"], "unique": True}}]})\n'
                       '>>> codes = synth.generate(schema, rows=5, seed=3).code.tolist()\n'
                       '>>> codes[:2], len(set(codes)) == 5\n'
                       "(['0001', '0002'], True)\n"},
 'llm_text': {'summary': 'Text written by an LLM from a prompt template over other columns (cached, a few requests per '
                         'combination).',
              'doc': 'Text written by an LLM from a prompt template over other columns (cached, a few requests per '
                     'combination).',
              'fields': [('name', 'str', 'required', "The output column's name"),
                         ('nulls', 'float', '0.0', 'Share of rows left empty (0-1)'),
                         ('hidden', 'bool', 'False', 'Made and usable in expressions, but not written'),
                         ('description', 'str | None', 'None', 'Free text for people'),
                         ('prompt', 'str', 'required', "Template; {column} is replaced by that column's value"),
                         ('variants', 'int', '5', ''),
                         ('model', 'str | None', 'None', ''),
                         ('temperature', 'float', '0.9', '')],
              'reference': '',
              'example': '\n'
                         '\n'
                         '    - name: review\n'
                         '      kind: llm_text\n'
                         '      prompt: "A one-sentence customer review of a {product} rated {rating} out of 5."\n'
                         '      variants: 8                  # distinct texts per combination\n'
                         '      model: gpt-4o-mini           # optional; default $SYNTH_MODEL\n'
                         '\n'
                         'The endpoint comes from ``OPENAI_API_KEY`` / ``OPENAI_BASE_URL``; ``synth.write(..., '
                         'max_requests=N)``\n'
                         '(``synth generate --max-requests N``) caps the requests.\n'},
 'lookup': {'summary': 'Fields looked up by the value of another column: ``product`` -> price, calories, type.',
            'doc': 'Fields looked up by the value of another column: ``product`` -> price, calories, type.\n'
                   '\n'
                   '    Like a catalog, but the key is its own column (so it can take part in correlations), and this '
                   'entry\n'
                   '    adds the fields that go with each key. A key with no record gives empty fields, or with '
                   '``other`` fields\n'
                   '    drawn by their own column specs: what ``synth fit`` writes for the rows of keys too rare to '
                   'list (pooled\n'
                   "    under one key value, ``other`` below), so those rows keep their fields' values (a "
                   'single-engine plane).\n'
                   '\n'
                   '    .. code-block:: yaml\n'
                   '\n'
                   '        - {name: product, kind: choice, values: {Latte: 12, Espresso: 5, other: 3}}\n'
                   '        - name: product_facts\n'
                   '          kind: lookup\n'
                   '          key: product\n'
                   '          records:\n'
                   '            - {product: Latte, price: 4.65, calories: 190}\n'
                   '            - {product: Espresso, price: 2.95, calories: 10}\n'
                   '          other:                                      # rows whose product has no record, field by '
                   'field\n'
                   '            price: {kind: float, distribution: uniform, min: 2, max: 6}\n'
                   '            calories: {kind: conditional, on: price, ...}   # a field may depend on one drawn '
                   'before it',
            'fields': [('name', 'str', 'required', "The output column's name"),
                       ('nulls', 'float', '0.0', 'Share of rows left empty (0-1)'),
                       ('hidden', 'bool', 'False', 'Made and usable in expressions, but not written'),
                       ('description', 'str | None', 'None', 'Free text for people'),
                       ('key', 'str', 'required', ''),
                       ('records', 'list[dict[str, Any]]', 'required', ''),
                       ('fields', 'list[str] | None', 'None', ''),
                       ('other',
                        'dict[str, dict[str, Any]] | None',
                        'None',
                        'Rows whose key has no record: each field drawn by a column spec (without a name), in this '
                        'order, so a field may be conditional on one before it; fields not given are empty')],
            'reference': '',
            'example': ''},
 'pattern': {'summary': 'Text codes following templates (``#`` digit, ``?`` letter); optionally unique.',
             'doc': 'Text codes following templates (``#`` digit, ``?`` letter); optionally unique.',
             'fields': [('name', 'str', 'required', "The output column's name"),
                        ('nulls', 'float', '0.0', 'Share of rows left empty (0-1)'),
                        ('hidden', 'bool', 'False', 'Made and usable in expressions, but not written'),
                        ('description', 'str | None', 'None', 'Free text for people'),
                        ('patterns',
                         'list[str] | dict[str, float]',
                         'required',
                         'Templates (# digit, ? upper-case, @ lower-case, * digit or upper-case, \\ literal), a list '
                         'or a mapping template -> weight (each row picks one)'),
                        ('unique', 'bool', 'False', 'No code repeats (fails early if the templates hold too few)'),
                        ('increasing',
                         'bool',
                         'False',
                         'Running numbers: within each template codes rise with the row number (in text order), from '
                         '`start`, `step` code numbers per row; unique by construction'),
                        ('start',
                         'str | dict[str, str] | None',
                         'None',
                         'With increasing: the first code, or a mapping template -> first code (default: each '
                         "template's first code, 000...)"),
                        ('step',
                         'float',
                         '1.0',
                         'With increasing: code numbers per row (1: consecutive codes; a template picked by a share w '
                         'of rows moves about step / w per code)'),
                        ('sorted',
                         'bool',
                         'False',
                         'Codes rise with the row in text order, all patterns together (one code from each of the '
                         "table's equal slices of the code space, so the same for any chunking); with unique, no code "
                         'repeats')],
             'reference': '',
             'example': '\n'
                        '\n'
                        '    - name: license_number\n'
                        '      kind: pattern\n'
                        '      patterns: {"S######": 30, "#######": 70}\n'
                        '      unique: true               # no value repeats (fails early if the templates hold too '
                        'few)\n'
                        '    - name: case_no\n'
                        '      kind: pattern\n'
                        '      patterns: {"##-######": 1}\n'
                        '      increasing: true           # running numbers: codes count up with the row\n'
                        '      start: "17-005000"         # the first code (one per pattern: a mapping pattern -> '
                        'code)\n'
                        '      step: 1                    # code numbers per row: 1 counts 17-005000, 17-005001, ...\n'
                        '    - name: tailnum\n'
                        '      kind: pattern\n'
                        '      patterns: {"N###??": 76, "N#####": 17, "N####?": 7}\n'
                        '      sorted: true               # codes rise with the row in text order, all patterns '
                        'together\n'
                        '      unique: true\n'
                        '\n'
                        "A template's codes are numbered in text order (``17-000000`` is code 0 of ``##-######``, "
                        '``17-000001``\n'
                        'code 1); with ``increasing`` row ``r`` takes a code number in ``[start + floor(r * step),\n'
                        'start + floor((r + 1) * step))``, so codes rise with the row and never repeat. Every code '
                        '(its template\n'
                        'too) is drawn from (seed, column, row number) alone, so the output is the same however the '
                        'rows are cut\n'
                        'into chunks and for any number of workers.\n'
                        '\n'
                        'With ``sorted`` the codes of all templates are lined up in text order as one space, each '
                        'template holding its\n'
                        "weight's share, and row ``r`` of ``N`` takes a code from the ``r``-th of ``N`` equal slices "
                        'of that space\n'
                        '(:mod:`synth.columns.code_space`): the column rises with the row whatever the row count, the '
                        'codes are drawn\n'
                        'afresh, and each depends only on (seed, column, row), so any chunking gives the same codes. '
                        'With ``unique``\n'
                        'too, no code repeats; a table with more rows than the templates hold in their shares is '
                        'refused before any\n'
                        'row is made.\n'},
 'phone': {'summary': 'Valid phone numbers of one region in given formats (``(###) ###-####``), drawn afresh.',
           'doc': 'Valid phone numbers of one region in given formats (``(###) ###-####``), drawn afresh.',
           'fields': [('name', 'str', 'required', "The output column's name"),
                      ('nulls', 'float', '0.0', 'Share of rows left empty (0-1)'),
                      ('hidden', 'bool', 'False', 'Made and usable in expressions, but not written'),
                      ('description', 'str | None', 'None', 'Free text for people'),
                      ('region',
                       'str',
                       "'US'",
                       'Whose numbers: a region code as the phonenumbers package names them (US, GB, DE, ...); numbers '
                       'are valid fixed-line or mobile ones'),
                      ('formats',
                       'list[str] | dict[str, float]',
                       "{'(###) ###-####': 1.0}",
                       'How numbers are written, a list or a mapping format -> weight: # is the next digit of the '
                       'national number, # after a letter (x, ext) an extension digit, anything else as is'),
                      ('leading',
                       'dict[str, float] | None',
                       'None',
                       "The national number's leading digits (area codes: {'312': 70, '773': 30}), a mapping digits -> "
                       'weight; rows not given to one take any leading digits of the region (weight `other_leading`)'),
                      ('other_leading',
                       'float',
                       '0.0',
                       'With leading: the weight of rows whose numbers take any leading digits the region uses')],
           'reference': '',
           'example': '\n'
                      '\n'
                      '    - name: phone\n'
                      '      kind: phone\n'
                      '      region: US                 # whose numbers (ISO 3166 code, as the phonenumbers package '
                      'names regions)\n'
                      '      formats: {"(###) ###-####": 60, "###-###-####": 25, "+1 ### ### ####": 10, '
                      '"###-###-####x###": 5}\n'
                      '      leading: {"312": 60, "773": 30}  # area codes (the national number\'s first digits) with '
                      'their weights\n'
                      '      other_leading: 10          # the weight of numbers with any leading digits the region '
                      'uses\n'
                      '\n'
                      'A number is valid as the ``phonenumbers`` package judges it (a fixed-line or mobile number of '
                      'the region, from\n'
                      "Google's libphonenumber metadata): national numbers are drawn digit by digit, the first digits "
                      'from the\n'
                      "prefixes that region uses (or from ``leading``), and kept when the region's patterns match them "
                      "whole (Arrow's RE2,\n"
                      "a chunk at a time). Every draw is keyed by the row number, so a row's number does not depend on "
                      'the chunking.\n'},
 'reference': {'summary': 'A key of a row of another table: the parent row (with ``count``) or a row drawn from a '
                          'lookup table.',
               'doc': 'A key of a row of another table: the parent row (with ``count``) or a row drawn from a lookup '
                      'table.',
               'fields': [('name', 'str', 'required', "The output column's name"),
                          ('nulls', 'float', '0.0', 'Share of rows left empty (0-1)'),
                          ('hidden', 'bool', 'False', 'Made and usable in expressions, but not written'),
                          ('description', 'str | None', 'None', 'Free text for people'),
                          ('table', 'str', 'required', 'The table whose key this column holds'),
                          ('key',
                           'str | list[str] | None',
                           'None',
                           "That table's key column (default: the column of the same name); with `columns`, its key "
                           'columns in the same order (default: the same names)'),
                          ('columns',
                           'list[str] | None',
                           'None',
                           "A composite key: the columns that together hold the key (the entry's name is then a "
                           'label); a lookup'),
                          ('orphans',
                           'float',
                           '0.0',
                           'Share of (non-empty) keys that point at no row of the table, as real data has: fresh keys '
                           'that never collide with its keys'),
                          ('empty',
                           'float',
                           '0.0',
                           'Parent reference: share of rows whose key is empty (a flight without a plane), made under '
                           'extra parent rows never written, so the written parents keep their counts'),
                          ('count',
                           'str | dict[str, Any] | None',
                           'None',
                           'Makes it the parent: the rows each parent row has, as a parent column or an integer '
                           'distribution ({distribution: poisson, lam: 3}); 0 leaves a parent without any'),
                          ('weight',
                           'str | None',
                           'None',
                           "Lookup: a column of the table giving each row's chance of being drawn"),
                          ('distinct',
                           'bool',
                           'False',
                           'Lookup: never the same row twice for one parent (a link table)'),
                          ('alias',
                           'str | None',
                           'None',
                           "The name its table's columns are read under (default: the table's)")],
               'reference': '',
               'example': '\n'
                          '\n'
                          '    tables:\n'
                          '      customers:\n'
                          '        rows: 1000\n'
                          '        columns:\n'
                          '          - {name: customer_id, kind: sequence}\n'
                          '          - {name: n_orders, kind: integer, distribution: poisson, lam: 3, hidden: true}\n'
                          '          - {name: total_spent, kind: aggregate, expr: sum(orders.amount), round: 2}\n'
                          '      products:\n'
                          '        rows: 20\n'
                          '        columns:\n'
                          '          - {name: product_id, kind: sequence}\n'
                          '          - {name: price, kind: float, min: 1, max: 9, round: 2}\n'
                          '      orders:\n'
                          '        columns:\n'
                          '          - {name: customer_id, kind: reference, table: customers, count: n_orders}    # '
                          'the parent\n'
                          '          - {name: product_id, kind: reference, table: products}                        # a '
                          'lookup\n'
                          '          - {name: amount, kind: expression, expr: products.price}\n'
                          '\n'
                          'A reference over several columns (a composite key, ``flights(origin, time_hour) -> '
                          'weather(origin, time_hour)``)\n'
                          'lists them in ``columns`` (its ``name`` is then a label) and, if the referenced table names '
                          'them otherwise, its\n'
                          'key columns in ``key``; it is a lookup (the rows it draws need not be unique by '
                          'construction: a key seen twice\n'
                          'is drawn as its first row). ``orphans: 0.15`` makes that share of keys point at no row '
                          '(real data has them).\n'},
 'sequence': {'summary': 'Row numbers: ``start``, ``start + step``, ... Unique by construction; the same however the '
                         'work is split.',
              'doc': 'Row numbers: ``start``, ``start + step``, ... Unique by construction; the same however the work '
                     'is split.',
              'fields': [('name', 'str', 'required', "The output column's name"),
                         ('nulls', 'float', '0.0', 'Share of rows left empty (0-1)'),
                         ('hidden', 'bool', 'False', 'Made and usable in expressions, but not written'),
                         ('description', 'str | None', 'None', 'Free text for people'),
                         ('start',
                          'int | dict[str, int]',
                          '1',
                          'The first number; with formats, a mapping format -> first number (a format left out starts '
                          'at 1)'),
                         ('step', 'int', '1', 'Difference between consecutive values; not zero'),
                         ('prefix', 'str', "''", ''),
                         ('suffix', 'str', "''", ''),
                         ('digits', 'int | None', 'None', 'Zero-pad the number to this many digits'),
                         ('formats',
                          'dict[str, float] | None',
                          'None',
                          "Text formats with weights, {} standing for the number ({'INV-{}': 70, 'CR-{}': 30}): each "
                          'row picks one; numbers rise within each')],
              'reference': '',
              'example': '\n'
                         '\n'
                         '    - name: id\n'
                         '      kind: sequence       # start: 1, step: 1\n'
                         '    - name: order_no\n'
                         '      kind: sequence\n'
                         '      start: 1\n'
                         '      prefix: "2015-"      # with prefix/digits/suffix the values are text: 2015-000001\n'
                         '      digits: 6\n'
                         '    - name: invoice\n'
                         '      kind: sequence       # several formats: {} is the number; each row picks one '
                         '(weights), numbers rise in each\n'
                         '      formats: {"INV-{}": 70, "CR-{}": 30}\n'
                         '      start: {"INV-{}": 1300, "CR-{}": 120}\n'
                         '      step: 2\n'
                         '    - name: session\n'
                         '      kind: uuid\n'
                         '\n'
                         "Row ``r`` holds the number ``start + step * r``; with ``formats`` a row's format is drawn "
                         'from (seed, column, row)\n'
                         'alone, so every value is the same however the rows are cut into chunks, and the numbers of '
                         'each format rise\n'
                         'with the row, never repeating (formats whose values could coincide are refused).\n'},
 'time': {'summary': 'Times of day from ``start`` to ``end`` (both included, default the whole day) every ``step``.',
          'doc': 'Times of day from ``start`` to ``end`` (both included, default the whole day) every ``step``.',
          'fields': [('name', 'str', 'required', "The output column's name"),
                     ('nulls', 'float', '0.0', 'Share of rows left empty (0-1)'),
                     ('hidden', 'bool', 'False', 'Made and usable in expressions, but not written'),
                     ('description', 'str | None', 'None', 'Free text for people'),
                     ('format', 'str | None', 'None', "strftime pattern for text output, e.g. '%m/%d/%Y'"),
                     ('hour_profile', 'list[float] | dict[str | int, float] | None', 'None', ''),
                     ('weekday_profile', 'list[float] | dict[str | int, float] | None', 'None', ''),
                     ('month_profile', 'list[float] | dict[str | int, float] | None', 'None', ''),
                     ('trend', 'float', '0.0', 'Yearly growth of the rate: 0.1 = +10% a year'),
                     ('year_profile',
                      'dict[int, float] | None',
                      'None',
                      'Weight per calendar year; years not named weigh 1'),
                     ('start', 'str', "'00:00'", ''),
                     ('end', 'str', "'23:59:59'", ''),
                     ('step', 'str | int', "'1s'", '')],
          'reference': '',
          'example': '\n'
                     '\n'
                     '    - name: time\n'
                     '      kind: time\n'
                     '      start: "06:00"\n'
                     '      end: "21:00"\n'
                     '      step: 1m                        # 1s, 30s, 1m, 15m, 1h, 1d ...\n'
                     '      hour_profile: {7: 3, 8: 3.5, 9: 2.5, 14: 0.6, 15: 0.6}   # hours not named weigh 1\n'
                     '    - name: date\n'
                     '      kind: date\n'
                     '      start: 2022-01-01\n'
                     '      end: 2022-12-31\n'
                     '      weekday_profile: {sat: 1.3, sun: 1.2}\n'
                     '      month_profile: {dec: 1.4}\n'
                     '      format: "%m/%d/%Y"              # optional; default ISO (a real date type in Parquet)\n'},
 'uuid': {'summary': 'Random version-4 UUIDs in the usual 8-4-4-4-12 hex form, from the seeded generator.',
          'doc': 'Random version-4 UUIDs in the usual 8-4-4-4-12 hex form, from the seeded generator.',
          'fields': [('name', 'str', 'required', "The output column's name"),
                     ('nulls', 'float', '0.0', 'Share of rows left empty (0-1)'),
                     ('hidden', 'bool', 'False', 'Made and usable in expressions, but not written'),
                     ('description', 'str | None', 'None', 'Free text for people')],
          'reference': '',
          'example': '\n'
                     '\n'
                     '    - name: id\n'
                     '      kind: sequence       # start: 1, step: 1\n'
                     '    - name: order_no\n'
                     '      kind: sequence\n'
                     '      start: 1\n'
                     '      prefix: "2015-"      # with prefix/digits/suffix the values are text: 2015-000001\n'
                     '      digits: 6\n'
                     '    - name: invoice\n'
                     '      kind: sequence       # several formats: {} is the number; each row picks one (weights), '
                     'numbers rise in each\n'
                     '      formats: {"INV-{}": 70, "CR-{}": 30}\n'
                     '      start: {"INV-{}": 1300, "CR-{}": 120}\n'
                     '      step: 2\n'
                     '    - name: session\n'
                     '      kind: uuid\n'
                     '\n'
                     "Row ``r`` holds the number ``start + step * r``; with ``formats`` a row's format is drawn from "
                     '(seed, column, row)\n'
                     'alone, so every value is the same however the rows are cut into chunks, and the numbers of each '
                     'format rise\n'
                     'with the row, never repeating (formats whose values could coincide are refused).\n'}}
