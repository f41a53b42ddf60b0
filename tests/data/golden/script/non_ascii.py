"""Script exported by mlops-jupyter from non_ascii.ipynb: edit the notebook, then re-export."""


_PARAMETERS = ('ville', 'seuil')


def main(**params):
    """Run the notebook's code top to bottom; keyword arguments override its parameters cell."""
    global ville, seuil, températures, au_dessus, résumé, texte
    # %% cell 1, execution count 1 [parameters]
    ville = 'Zürich'  # nom de la ville 🌍
    seuil = 2.5  # seuil en °C

    _apply_parameters(params)

    # %% cell 2, execution count 2
    températures = [1.5, 3.0, -0.5, 4.25]
    print(f'{ville}: {len(températures)} mesures')

    # %% cell 3, execution count 3 [step: analyse]
    au_dessus = [t for t in températures if t > seuil]
    résumé = f'{len(au_dessus)} au-dessus de {seuil}°C ✓'
    print(résumé)

    # %% cell 4, execution count 4
    texte = """ligne un — é
    ligne deux indentée ☃
"""
    print(texte)


def _apply_parameters(params):
    """Set the parameters given to main() as globals, after the parameters cell ran."""
    unknown = sorted(set(params) - set(_PARAMETERS))
    if unknown:
        raise TypeError(f"unknown parameter(s) {', '.join(unknown)}; expected one of "
                        f"{', '.join(_PARAMETERS) or '(none: the notebook has no parameters cell)'}")
    globals().update(params)


def _parse_args(argv=None):
    """Parse the command line; only the options given are returned."""
    import argparse

    parser = argparse.ArgumentParser(description='Run non_ascii.ipynb as a script.')
    parser.add_argument('--ville', dest='ville', type=str, default=argparse.SUPPRESS, help="nom de la ville 🌍 (str, default: 'Zürich')")
    parser.add_argument('--seuil', dest='seuil', type=float, default=argparse.SUPPRESS, help='seuil en °C (float, default: 2.5)')
    return vars(parser.parse_args(argv))


if __name__ == "__main__":
    main(**_parse_args())
